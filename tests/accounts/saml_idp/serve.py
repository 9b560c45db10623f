"""Start the test SAML identity provider (pysaml2's IdP, signing with Debian's xmlsec1): make
a key and a self-signed certificate, serve on a free loopback port and print that port and the
certificate (PEM, on one line with literal \\n) on two lines.

    python -m tests.accounts.saml_idp.serve '{"sp_metadata_url": ..., "users": [{"username":
        ..., "password": ..., "email": ..., "first_name": ..., "last_name": ...,
        "sign": true, "foreign_key": false}]}'

The service provider's metadata (Practica's /accounts/saml/<org>/metadata/) is fetched at the
first sign-in request, so the IdP knows the SP only as Practica describes itself. Per person,
"sign": false answers with an unsigned response, "foreign_key": true signs with a key
Practica was not given, "unsolicited": true answers as if the IdP had started the sign-in (all
must be refused). Never part of Practica.
"""

import datetime
import json
import secrets
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def key_and_certificate(folder: Path, name: str) -> tuple[Path, Path, str]:
    """A new RSA key and a self-signed certificate for it, as files; the certificate's PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_path.write_text(pem)
    return key_path, cert_path, pem


class IdentityProvider:
    def __init__(self, config: dict, base: str, folder: Path):
        self.users = {person["username"]: person for person in config["users"]}
        self.sp_metadata_url = config["sp_metadata_url"]
        self.base = base
        self.key, self.cert, self.pem = key_and_certificate(folder, "idp")
        self.foreign_key, self.foreign_cert, _ = key_and_certificate(folder, "intruder")
        self.pending: dict[str, tuple] = {}
        self.lock = threading.Lock()
        self._servers: dict[bool, Server] = {}

    def settings(self, *, sp_metadata: str | None, foreign: bool = False) -> IdPConfig:
        config = {
            "entityid": f"{self.base}/metadata",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{self.base}/sso/redirect", BINDING_HTTP_REDIRECT),
                        ],
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    "want_authn_requests_signed": False,
                }
            },
            "key_file": str(self.foreign_key if foreign else self.key),
            "cert_file": str(self.foreign_cert if foreign else self.cert),
            "xmlsec_binary": get_xmlsec_binary(),
        }
        if sp_metadata:
            config["metadata"] = {"inline": [sp_metadata]}
        return IdPConfig().load(config)

    def server(self, *, foreign: bool) -> Server:
        with self.lock:
            if foreign not in self._servers:
                with urllib.request.urlopen(self.sp_metadata_url, timeout=10) as answer:
                    sp_metadata = answer.read().decode()
                self._servers[foreign] = Server(
                    config=self.settings(sp_metadata=sp_metadata, foreign=foreign)
                )
            return self._servers[foreign]

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/metadata":
            body = create_metadata_string(None, config=self.settings(sp_metadata=None))
            return self.answer(start_response, "200 OK", body, "application/samlmetadata+xml")
        if path == "/sso/redirect" and environ["REQUEST_METHOD"] == "GET":
            return self.login_form(start_response, query)
        if path == "/login" and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
            return self.sign_in(start_response, form)
        return self.answer(start_response, "404 Not Found", "not found", "text/plain")

    def answer(self, start_response, status, body, content_type="text/html; charset=utf-8"):
        data = body.encode() if isinstance(body, str) else body
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]

    def login_form(self, start_response, query):
        request_info = self.server(foreign=False).parse_authn_request(
            query["SAMLRequest"], BINDING_HTTP_REDIRECT
        )
        ticket = secrets.token_urlsafe(16)
        self.pending[ticket] = (request_info.message, query.get("RelayState", ""))
        page = (
            "<!doctype html><title>Hospital sign-in</title><h1>Hospital sign-in</h1>"
            '<form method="post" action="/login">'
            f'<input type="hidden" name="ticket" value="{ticket}">'
            '<p><label>Username <input name="username"></label></p>'
            '<p><label>Password <input name="password" type="password"></label></p>'
            "<button>Sign in</button></form>"
        )
        return self.answer(start_response, "200 OK", page)

    def sign_in(self, start_response, form):
        authn_request, relay_state = self.pending.pop(form.get("ticket", ""), (None, None))
        person = self.users.get(form.get("username", ""))
        if authn_request is None or not person or person["password"] != form.get("password"):
            return self.answer(start_response, "403 Forbidden", "<p>Wrong username or password")
        signed = person.get("sign", True)
        server = self.server(foreign=person.get("foreign_key", False))
        response_args = server.response_args(authn_request)
        if person.get("unsolicited"):  # as if the IdP started the sign-in (IdP-initiated SSO)
            response_args["in_response_to"] = None
        identity = {
            "uid": [person["username"]],
            "mail": [person["email"]] if person.get("email") else [],
            "givenName": [person.get("first_name", "")],
            "sn": [person.get("last_name", "")],
        }
        identity = {name: values for name, values in identity.items() if any(values)}
        response = server.create_authn_response(
            identity,
            userid=person["username"],
            authn={"class_ref": PASSWORD_CLASS, "authn_auth": self.base},
            sign_response=signed,
            sign_assertion=signed,
            # pysaml2 signs with RSA-SHA1 unless told; python3-saml refuses SHA-1 as deprecated.
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **response_args,
        )
        http_args = server.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            response_args["destination"],
            relay_state,
            response=True,
        )
        return self.answer(start_response, "200 OK", http_args["data"])


def main() -> None:
    config = json.loads(sys.argv[1])
    folder = Path(tempfile.mkdtemp(prefix="saml-idp-"))
    httpd = make_server(
        "127.0.0.1",
        config.get("port", 0),
        lambda e, s: idp(e, s),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    idp = IdentityProvider(config, f"http://127.0.0.1:{httpd.server_port}", folder)
    print(httpd.server_port, flush=True)
    print(json.dumps(idp.pem), flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
