"""gunicorn settings used by `ombuds serve` and by production units (`gunicorn -c python:ombuds.gunicorn_conf`).

No access log, ever: it would record reporters' addresses and user agents. The error log
drops the lines that name a client's address or a reporter's path.
"""

accesslog = None
errorlog = "-"
# Its error log would name the address of a client whose request could not be parsed, and
# the path of a request that failed; ombuds/core/logging.py drops or withholds those.
logger_class = "ombuds.core.logging.GunicornLogger"
graceful_timeout = 10
timeout = 60
# A control socket per user would clash between several instances on one machine.
control_socket_disable = True
# Headers larger than this are refused before Django sees them.
limit_request_field_size = 8190
