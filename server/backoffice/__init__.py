"""The back office: pages for region admins and staff, server-rendered, usable without JavaScript."""
