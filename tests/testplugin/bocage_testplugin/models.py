from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.api import Base


class Note(Base):
    __tablename__ = "testplugin_note"
    #: Shown as ``TestpluginNote``: audit entries and events name it so.
    __graphql_type__ = "TestpluginNote"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(200))
