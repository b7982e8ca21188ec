"""gunicorn settings used by `ombuds serve` and by production units (`gunicorn -c python:ombuds.gunicorn_conf`).

No access log, ever: it would record reporters' addresses and user agents.
"""

accesslog = None
errorlog = "-"
graceful_timeout = 10
timeout = 60
# A control socket per user would clash between several instances on one machine.
control_socket_disable = True
# Headers larger than this are refused before Django sees them.
limit_request_field_size = 8190
