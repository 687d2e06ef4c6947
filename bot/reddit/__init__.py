"""Everything that talks to Reddit, each concern in one module (as PRAW keeps endpoints, exceptions, config apart).

- ``client``: the shared ``praw.Reddit`` (site, User-Agent, sandbox session, budget, write safety)
- ``identity``: who the bot is, from ``/api/v1/me`` once (password and refresh-token auth alike)
- ``errors``: what each Reddit answer means for the bot (the error → action table)
- ``budget``: at most 100 requests in any 60 s
- ``writes``: non-idempotent calls (comment, submit, delete) are never re-sent blindly
- ``own_replies``: the exactly-once protocol's look-up of the bot's own comments
- ``posts``: the one "is this post answerable?" rule (ingest and the re-check before replying)
- ``mirror``: how the sandbox mirrors Reddit's media URLs, parsed in one place
"""
