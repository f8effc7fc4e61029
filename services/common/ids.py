"""The one id maker: server-made ids are opaque strings."""
import uuid


def new_id(kind):
    return f"{kind[:1]}{uuid.uuid4().hex[:16]}"
