"""Authentication on lakecat's Iceberg REST front under `--auth sigv4 --access-keys
AKIDICE:ice-secret`: PyIceberg's OAuth2 client credentials (a bearer token from
/v1/oauth/tokens) and its SigV4 signing both work; a wrong secret, a forged token and no
credentials are refused. argv = base URL. Prints "ok"."""
import sys

import requests
from pyiceberg.catalog.rest import RestCatalog

base = sys.argv[1]
uri = f"{base}/iceberg"

oauth = RestCatalog("lake", uri=uri, credential="AKIDICE:ice-secret")
oauth.create_namespace("authns")
assert ("authns",) in oauth.list_namespaces()

sigv4 = RestCatalog("lake", uri=uri, **{"rest.sigv4-enabled": "true", "rest.signing-region": "us-east-1",
                                        "rest.signing-name": "glue", "client.access-key-id": "AKIDICE",
                                        "client.secret-access-key": "ice-secret", "client.region": "us-east-1"})
assert ("authns",) in sigv4.list_namespaces()


def refused(make):
    try:
        make().list_namespaces()
    except Exception as e:  # noqa: BLE001 - each client error type will do
        return str(e)
    raise SystemExit("an unauthenticated client was served")


refused(lambda: RestCatalog("lake", uri=uri, credential="AKIDICE:wrong"))
refused(lambda: RestCatalog("lake", uri=uri))
r = requests.post(f"{uri}/v1/oauth/tokens", data={"grant_type": "client_credentials", "client_id": "AKIDICE",
                                                   "client_secret": "wrong"})
assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text
token = requests.post(f"{uri}/v1/oauth/tokens", data={"grant_type": "client_credentials", "client_id": "AKIDICE",
                                                       "client_secret": "ice-secret"}).json()["access_token"]
r = requests.get(f"{uri}/v1/namespaces", headers={"Authorization": f"Bearer {token}"})
assert r.status_code == 200, r.text
# The last character changed (to one it is not, so the forgery never equals the token).
forged = token[:-1] + ("1" if token[-1] == "0" else "0")
r = requests.get(f"{uri}/v1/namespaces", headers={"Authorization": f"Bearer {forged}"})
assert r.status_code == 401, r.text
# Tokens are for the Iceberg routes only.
r = requests.get(f"{base}/v1/databases", headers={"Authorization": f"Bearer {token}"})
assert r.status_code in (400, 403), r.text
print("ok")
