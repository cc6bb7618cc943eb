"""`nemobot chat`: the engine in a terminal, one line in and the streamed reply out.

- `chat.run_chat`: the command: wiring, the input loop, and finishing the work in flight;
- `port.TerminalPort`: the chat port on a text stream (an edit prints the lines that changed,
  a delivered render is saved into DOWNLOAD_DIR with its path and link printed);
- `session.TerminalSession`: carries out one typed line (a /command, or text for the engine);
- `commands`: how a line is read (what is a /command, /upload's paths, yes/no answers);
- `input`: where lines come from (a prompt_toolkit line editor, or a pipe);
- `line_queue`: typed lines wait their turn while one is carried out, a cancel goes first;
- `live_line`: a render's progress, one line redrawn in place on a terminal;
- `offline`: the built-in emulator and a throwaway database for `--offline`;
- `words`: the terminal's own sentences.

On a terminal, lines are typed into a line editor; input may also be piped, and at its end
the work in flight (an export, say) is finished before the command returns. /commands are
the terminal's own: an unknown one is refused and never becomes a (paid) turn.
"""
