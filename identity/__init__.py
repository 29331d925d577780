"""Who a person is: NIK rules, the population-registry adapter, passkeys, sessions and roles.

Plain Python: nothing here imports Litestar; `server/` maps these exceptions to HTTP.
"""
