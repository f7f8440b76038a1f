"""Submitting a page's form the way a browser does."""
from .conftest import csrf_token


def submit(client, path: str, files=None, page: str | None = None, **data):
    """POST a form to `path` (shown on `page`, by default `path`) and follow its redirect.

    The test client runs each request in its own app context, so redirects are followed here.
    """
    data["csrf_token"] = csrf_token(client, page or path)
    if files:
        data.update(files)
    response = client.post(path, data=data, content_type="multipart/form-data" if files else None)
    return client.get(response.location) if response.status_code == 302 else response
