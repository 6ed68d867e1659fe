"""The animatic: a 2.5D vector renderer on the CPU. Camera framing (`camera`), bodies and
acting (`bodies`, `motion`), places (`environments`), text (`text`), reference sheets
(`sheets`); `renderer` composes them into a shot."""
