"""Which client a request came from, for the sign-in limit per client.

Behind a reverse proxy every request comes from the proxy's address, and only the
proxy knows the client's: it appends it to ``X-Forwarded-For``. Anyone can send that
header, though, so it is believed only as far as the operator says proxies stand in
front of the gateway (``GATEWAY_TRUSTED_PROXIES``, a count): with *n* proxies, the
*n*-th address from the right was written by the outermost trusted one. With none
configured the header is ignored — a client could otherwise pick a fresh address for
every try.
"""

import ipaddress

from werkzeug.wrappers import Request

FORWARDED_FOR = "X-Forwarded-For"


def client_address(request: Request, trusted_proxies: int) -> str:
    """The client's address as the nearest party we trust saw it."""
    direct = request.remote_addr or "unknown"
    if trusted_proxies <= 0:
        return direct
    chain = [part.strip() for part in ",".join(request.headers.getlist(FORWARDED_FOR)).split(",") if part.strip()]
    if len(chain) < trusted_proxies:  # fewer hops than configured: not through the proxies we were told of
        return direct
    candidate = chain[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # garbage in the proxy's header: the proxy is the only one we can name
        return direct
