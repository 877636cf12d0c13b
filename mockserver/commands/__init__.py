"""One module per ``segmock`` subcommand; each defines ``register(subparsers)``.

The CLI imports only the module of the verb it is given, so a new verb is one new file and one entry here.
"""

COMMANDS = {
    "specs": "specs",
    "serve": "serve",
    "record": "record",
    "verify": "verify",
    "replay": "replay",
    "export": "export",
    "scaffold-provider": "scaffold",
}
