"""One module per ``segmock`` subcommand; each defines ``register(subparsers)``.

The CLI discovers the modules listed in ``COMMANDS`` so a new verb is one new file and one name here.
"""

COMMANDS = ("specs", "serve", "record", "verify", "replay", "export")
