"""Who the session is: the owner whose runs it may list, open, extend and download.

Two modes, chosen by the server's configuration:

- **Signed in** (Streamlit's authentication configured: an ``[auth]`` section in ``.streamlit/secrets.toml``,
  so ``st.user`` has ``is_logged_in``): the owner is derived from the identity provider's issuer and subject
  (``iss``, ``sub``; the e-mail address when a provider gives no subject), the same in every browser the user
  signs in from. The ``?owner=`` address parameter is ignored, so knowing someone's address reaches nothing;
  a session nobody has signed in to gets a sign-in page and nothing else.
- **Single-user** (no authentication): the owner is the random id kept in the address (``?owner=``), which
  anyone holding the address can use. The sidebar says so, and docs/RELIABILITY.md tells how to turn
  authentication on for a shared server.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

OWNER_RE = re.compile(r"^[0-9a-f]{32}$")
SINGLE_USER_NOTE = ("Single-user server: anyone who can open this address can see its runs. Set up sign-in "
                    "(Streamlit authentication) before sharing it.")


@dataclass(frozen=True)
class Identity:
    """``owner``: the 32-hex id runs are stored under (None: authentication is on and nobody signed in);
    ``auth``: authentication is configured; ``label``: who is signed in, for display."""

    owner: str | None
    auth: bool
    label: str = ""


def auth_configured(user: Mapping) -> bool:
    """Whether the server has authentication configured (Streamlit then always sets ``is_logged_in``)."""
    return "is_logged_in" in user


def owner_of(user: Mapping) -> str | None:
    """A stable owner id for a signed-in user: a hash of the token's issuer and subject (else e-mail)."""
    subject = user.get("sub") or user.get("email")
    if not subject or not isinstance(subject, str):
        return None
    issuer = user.get("iss") if isinstance(user.get("iss"), str) else ""
    return hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()[:32]


def resolve(user: Mapping, address_owner: str | None = None, session_owner: str | None = None) -> Identity:
    """The session's identity from ``st.user`` (as a mapping), the ``?owner=`` parameter and the owner
    the session already has.

    >>> resolve({}, "0" * 32).owner == "0" * 32            # single-user: the address id
    True
    >>> resolve({"is_logged_in": False}, "0" * 32).owner   # signed out: no owner, whatever the address says
    >>> resolve({"is_logged_in": True, "sub": "a"}, "0" * 32).owner == owner_of({"sub": "a"})
    True
    """
    if auth_configured(user):
        if not user.get("is_logged_in"):
            return Identity(None, True)
        label = next((str(user[k]) for k in ("email", "name", "sub") if user.get(k)), "")
        return Identity(owner_of(user), True, label)
    if session_owner and OWNER_RE.match(session_owner):
        return Identity(session_owner, False)
    if address_owner and OWNER_RE.match(address_owner):
        return Identity(address_owner, False)
    return Identity(uuid.uuid4().hex, False)


def session_identity() -> Identity:
    """This session's identity; with authentication on and nobody signed in, a sign-in page, then stop."""
    import streamlit as st

    try:
        user = st.user.to_dict()
    except Exception:  # noqa: BLE001 - no script context (a bare import): no authentication
        user = {}
    identity = resolve(user, st.query_params.get("owner"), st.session_state.get("owner"))
    if identity.auth and identity.owner is None:
        st.title("AutoML")
        if user.get("is_logged_in"):
            st.error("Your sign-in did not say who you are (no subject or e-mail), so your runs cannot be kept "
                     "apart from others'; sign in with another account.")
            st.button("Sign out", on_click=st.logout)
        else:
            st.write("Sign in to see and start your searches; each user sees only their own runs.")
            st.button("Sign in", type="primary", on_click=st.login)
        st.stop()
    return identity


def sidebar(identity: Identity) -> None:
    """Who is signed in (with a sign-out button), or the single-user note, in the sidebar."""
    import streamlit as st

    with st.sidebar:
        if identity.auth:
            st.caption(f"Signed in as {identity.label}" if identity.label else "Signed in")
            st.button("Sign out", on_click=st.logout, key="identity_sign_out")
        else:
            st.caption(SINGLE_USER_NOTE)
