from memlint.frontends.cli import run

run()
