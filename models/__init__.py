"""The seed notes' ORM models, shared by every scenario.

Each model lives in its own module (``user.py``, ``post.py``,
``profile.py``) and names the others only under ``if TYPE_CHECKING:``, as
the notes recommend against import cycles: relationship targets are
resolved by class name when the mappers are configured. This package
imports every model module, so that ``Base.metadata`` holds the schema.
"""

from models.base import Base
from models.post import Post
from models.profile import Profile
from models.user import User

__all__ = ["Base", "Post", "Profile", "User"]
