"""Sub-commands of `phusong`, one module per group; each exposes register(subparsers)."""
