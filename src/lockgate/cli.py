"""The ``lockgate`` command: parse, call the pipeline, map errors to exit codes."""

from __future__ import annotations

import gc
import importlib
import signal
import sys
import tempfile
import traceback
from types import FrameType

import click

from lockgate import __version__
from lockgate.errors import LockgateError
from lockgate.execution import reaper

EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


# Each command's module is imported only when that command runs: the no-change path must
# not pay for the imports of commands it does not use (deploy's secret scanner, say).
COMMANDS = {
    "align": "lockgate.commands.align:align",
    "cache": "lockgate.commands.cache:cache",
    "cleanup": "lockgate.commands.cleanup:cleanup",
    "deploy": "lockgate.commands.deploy:deploy",
    "fix": "lockgate.commands.fix:fix",
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


def _one_line(exc: click.ClickException) -> str:
    """Click's message as one line, like every other lockgate error: for a usage error, and
    instead of click's usage block, the command whose --help explains it."""
    message = " ".join(line.strip() for line in exc.format_message().splitlines() if line)
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        message += f" (see {exc.ctx.command_path} --help)"
    return message


class _Interrupted(BaseException):
    """A signal that ends the run: unwinds it like Ctrl-C, so every cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    for number in STOP_SIGNALS:  # a second signal must not interrupt the cleanup
        signal.signal(number, signal.SIG_IGN)
    # Kill the children first: the worker's pool thread reads from one until it ends, and
    # unwinding the main thread waits for that thread.
    reaper.kill_all()
    raise _Interrupted(signum)


def _catch_signals() -> None:
    for number in STOP_SIGNALS:
        # a signal the caller ignores (nohup, a background job's SIGINT) stays ignored
        if signal.getsignal(number) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(number, _on_signal)


def main() -> None:
    """Console entry point."""
    # A run allocates hundreds of thousands of small objects and frees little before it
    # exits; the default collector thresholds spent ~15% of a no-change run scanning them.
    gc.set_threshold(200_000, 50, 100)
    _catch_signals()
    reaper.sweep()  # what runs killed with SIGKILL left behind
    try:
        # Without standalone mode click returns (rather than raises) a command's exit code.
        # The program is ``lockgate`` however it was started (``python -m lockgate`` too), so
        # that usage lines name it and shell completion (``_LOCKGATE_COMPLETE``) registers it.
        code = cli.main(
            prog_name="lockgate", complete_var="_LOCKGATE_COMPLETE", standalone_mode=False
        )
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"lockgate: error: {_one_line(exc)}", err=True)
        sys.exit(EXIT_USAGE)
    except click.Abort:
        sys.exit(EXIT_INTERRUPTED)
    except _Interrupted as exc:
        click.echo(f"lockgate: interrupted ({signal.Signals(exc.signum).name})", err=True)
        # the shell's convention, 128 + the signal: 130 for SIGINT, 143 SIGTERM, 129 SIGHUP
        sys.exit(128 + exc.signum)
    except LockgateError as exc:
        click.echo(f"lockgate: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:  # SIGINT while its default handler was in place
        click.echo("lockgate: interrupted (SIGINT)", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        log = _write_crash_log()
        click.echo(
            f"lockgate: internal error: {type(exc).__name__}: {exc} (traceback in {log}); "
            "please report it",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
