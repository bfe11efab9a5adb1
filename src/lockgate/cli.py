"""The ``lockgate`` command: parse, call the pipeline, map errors to exit codes."""

from __future__ import annotations

import gc
import importlib
import sys
import tempfile
import traceback

import click

from lockgate import __version__
from lockgate.errors import LockgateError

EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


# Each command's module is imported only when that command runs: the no-change path must
# not pay for the imports of commands it does not use (deploy's secret scanner, say).
COMMANDS = {
    "align": "lockgate.commands.align:align",
    "cache": "lockgate.commands.cache:cache",
    "deploy": "lockgate.commands.deploy:deploy",
    "hooks": "lockgate.commands.hooks:hooks",
    "optimize": "lockgate.commands.optimize:optimize",
    "report": "lockgate.commands.report:report",
    "why": "lockgate.commands.why:why",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lockgate")
def cli() -> None:
    """Validate every feature of a Python codebase, incrementally, and ship what was validated."""


def _write_crash_log() -> str:
    with tempfile.NamedTemporaryFile(
        "w", prefix="lockgate-crash-", suffix=".log", delete=False
    ) as fh:
        traceback.print_exc(file=fh)
        return fh.name


def main() -> None:
    """Console entry point."""
    # A run allocates hundreds of thousands of small objects and frees little before it
    # exits; the default collector thresholds spent ~15% of a no-change run scanning them.
    gc.set_threshold(200_000, 50, 100)
    try:
        # Without standalone mode click returns (rather than raises) a command's exit code.
        code = cli.main(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        sys.exit(EXIT_INTERRUPTED)
    except LockgateError as exc:
        click.echo(f"lockgate: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("lockgate: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        log = _write_crash_log()
        click.echo(
            f"lockgate: internal error: {type(exc).__name__}: {exc} (traceback in {log}); "
            "please report it",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
