"""gunicorn settings used by `ombuds serve` and by production units (`gunicorn -c python:ombuds.gunicorn_conf`).

No access log, ever: it would record reporters' addresses and user agents. The error log
drops the lines that name a client's address or a reporter's path.

No client can change the path, the script name or the scheme Django sees. By default
gunicorn lets local peers set SCRIPT_NAME and PATH_INFO with request headers, and
believes X-Forwarded-Proto from them; a header could then move a staff page outside the
prefix that a check looked at. Here no header may set SCRIPT_NAME or PATH_INFO at all
(ombuds is served at the root of its host), and X-Forwarded-Proto is believed only from
the proxies listed in OMBUDS_TRUSTED_PROXY_IPS (docs/deployment.md).
"""

from ombuds.lib.env import env_networks

_trusted_proxies = env_networks("OMBUDS_TRUSTED_PROXY_IPS")

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
# Peers whose forwarding headers are believed: none unless configured.
forwarded_allow_ips = ",".join(_trusted_proxies)
# Headers mapped into the WSGI environment (SCRIPT_NAME, PATH_INFO): none, from anyone.
forwarder_headers = ""
# The header a trusted proxy sets for HTTPS. Without a trusted proxy, none: a UNIX-socket
# peer counts as trusted in gunicorn, so the header map itself must be empty.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"} if _trusted_proxies else {}
