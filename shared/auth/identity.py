"""The caller as every service sees it, decoded from a verified token."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    user_id: str
    roles: frozenset[str]
    name: str = ""
    grids: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None
    language: str = "zh-CN"

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))

    def actor(self, role: str | None = None) -> dict:
        """The ``{user_id, role, name}`` recorded in events and history; ``role`` is the one acted in."""
        chosen = role if role in self.roles else (sorted(self.roles)[0] if self.roles else "none")
        return {"user_id": self.user_id, "role": chosen, "name": self.name}

    @classmethod
    def from_claims(cls, claims: dict) -> "Identity":
        return cls(
            user_id=claims["sub"],
            roles=frozenset(claims.get("roles", ())),
            name=claims.get("name", ""),
            grids=frozenset(claims.get("grids", ())),
            department=claims.get("department"),
            language=claims.get("lang", "zh-CN"),
        )


SYSTEM = Identity(user_id="system", roles=frozenset({"system"}), name="system")
