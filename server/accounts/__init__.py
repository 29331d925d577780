"""HTTP side of identity: sessions, who is calling, guards, and the account API."""
