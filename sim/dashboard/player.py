"""The live run's bar: where it is (calendar week), and Mesa's controls (Reset, Play, Step).

Mesa's ``SolaraViz`` rebuilds a model on Reset from its keyword arguments, and passes Mesa's
own ``scenario`` object to a model that takes a ``scenario`` keyword, as
:class:`~sim.model.SharingModel` does; so the page keeps Mesa's controls and their meaning but
drives the model itself: Reset builds the run from the page's state.
"""

from __future__ import annotations

import threading

import solara

from sim import palette
from sim.dashboard.choices import DashboardInputError
from sim.dashboard.live import LiveRun
from sim.dashboard.state import PageState


def where(run: LiveRun) -> str:
    """Say where the live run is, in weeks and on the calendar."""
    model = run.model
    heading = f"Live run of {run.settings.scenario}: week {model.week} of {model.n_weeks}"
    if model.week == 0:
        return f"{heading} (starts {model.start_date:%-d %b %Y})"
    last = model.week_start(model.week - 1)
    return f"{heading} (the week from {last:%-d %b %Y})"


DRAW_WAIT_S = 5.0
"""Longest a playing run waits for its last week to be drawn before stepping on anyway."""

MIN_PAUSE_MS, MAX_PAUSE_MS = 10, 500
"""The range of the pause between weeks while playing; its slider moves in steps of the least
(so that the starting pause, ``state.PLAY_INTERVAL_MS``, is on it)."""

MAX_WEEKS_A_REDRAW = 26
"""Most weeks run between two redraws of the live charts (half a year)."""


@solara.component
def LiveRunBar(state: PageState, tick: int) -> None:
    """Show the live run's heading and controls.

    Reset, Play/Pause, Step, the pause between weeks while playing and how many weeks run
    between redraws; a note when the page's levers or seed have moved since the run was
    built.
    """
    run = state.live.value
    playing = state.playing.value
    problem, set_problem = solara.use_state("")
    drawn = solara.use_memo(threading.Event, dependencies=[])
    # Set once the page has drawn this tick (a new value, the live run stepped, redraws the bar).
    solara.use_effect(drawn.set, dependencies=[tick])

    def play(cancel: threading.Event) -> None:
        while state.playing.value and not cancel.wait(state.play_interval.value / 1000):
            if not state.live.value.running:
                state.playing.set(False)
                return
            drawn.clear()
            state.step(state.render_every.value)
            # Play never outruns the page: on a busy machine, weeks stepped faster than they
            # are drawn would set state during every render, a render loop without end.
            waited = 0.0
            while not drawn.wait(0.05) and waited < DRAW_WAIT_S:
                if cancel.is_set() or not state.playing.value:
                    return
                waited += 0.05

    solara.use_thread(play, dependencies=[playing], intrusive_cancel=False)

    def reset() -> None:
        state.playing.set(False)
        try:
            state.reset()
        except DashboardInputError as error:
            set_problem(str(error))
            return
        set_problem("")

    stale = run.differs_from(state.lever_values(), state.seed.value)
    with solara.Column(gap="4px", classes=["sharesim-live-bar"]):
        solara.Text(where(run), classes=["sharesim-week"])
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button("Reset", on_click=reset, color="primary", small=True)
            solara.Button(
                "\u275a\u275a" if playing else "\u25b6",
                on_click=lambda: state.playing.set(not playing),
                disabled=not run.running,
                color="primary",
                small=True,
            )
            solara.Button(
                "Step",
                on_click=state.step,
                disabled=playing or not run.running,
                color="primary",
                small=True,
            )
            Speed(state)
        if problem:
            solara.Error(problem, classes=["sharesim-input-error"])
        elif stale:
            solara.Text(
                "Levers or seed changed since this run started: press Reset to run them live "
                "(the ensemble chart already uses them).",
                classes=["sharesim-stale"],
                style={"color": palette.VERMILLION},
            )


@solara.component
def Speed(state: PageState) -> None:
    """How fast Play goes: the pause between weeks, and weeks run between redraws."""
    pause, every = state.play_interval.value, state.render_every.value
    with solara.Column(classes=["sharesim-speed"]):
        solara.SliderInt(
            f"Pause between weeks: {pause} ms",
            value=state.play_interval,
            min=MIN_PAUSE_MS,
            max=MAX_PAUSE_MS,
            step=MIN_PAUSE_MS,
        )
    with solara.Column(classes=["sharesim-speed"]):
        solara.SliderInt(
            f"Redraw every {every} week{'s' if every != 1 else ''}",
            value=state.render_every,
            min=1,
            max=MAX_WEEKS_A_REDRAW,
        )
