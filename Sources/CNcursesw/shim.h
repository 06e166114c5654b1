// Shim for libncursesw. SwiftPM drops pkg-config's -D_XOPEN_SOURCE=600, which hides the
// wide-character API (cchar_t, wget_wch, ...); defining NCURSES_WIDECHAR restores it.
#ifndef MUSTER_CNCURSESW_SHIM_H
#define MUSTER_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <stdio.h>
#include <wchar.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

// Macros and globals Swift cannot import (or Swift 6 rejects as not concurrency-safe).
static inline WINDOW *muster_stdscr(void) { return stdscr; }
static inline int muster_lines(void) { return LINES; }
static inline int muster_cols(void) { return COLS; }
static inline attr_t muster_a_bold(void) { return A_BOLD; }
static inline attr_t muster_a_reverse(void) { return A_REVERSE; }
static inline attr_t muster_a_dim(void) { return A_DIM; }
static inline attr_t muster_a_underline(void) { return A_UNDERLINE; }
static inline attr_t muster_a_normal(void) { return A_NORMAL; }
static inline attr_t muster_color_pair(int n) { return COLOR_PAIR(n); }
static inline FILE *muster_curses_stdin(void) { return stdin; }
static inline FILE *muster_curses_stdout(void) { return stdout; }
/// Terminal size from the kernel: ncurses never sees SIGWINCH once libdispatch owns it.
static inline int muster_terminal_size(int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}
/// Writes one screen cell: a spacing character and up to four zero-width ones after it.
static inline int muster_put_cell(WINDOW *win, int y, int x, const wchar_t *text, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, text, attrs, pair, NULL) != OK) return ERR;
    return mvwadd_wch(win, y, x, &cell);
}
// Terminal restore on a crash (SIGSEGV, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE): the
// handler only calls async-signal-safe functions (tcsetattr, write, sigaction, raise),
// with the terminal mode and reset sequence saved beforehand, then hands the signal to
// whatever handled it before (the Swift runtime's backtracer, or the default action).
#define MUSTER_CRASH_SIGNAL_COUNT 6
static inline const int *muster_crash_signals(void) {
    static const int signals[MUSTER_CRASH_SIGNAL_COUNT] = { SIGSEGV, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE };
    return signals;
}
struct muster_crash_state {
    struct termios mode;
    int has_mode;
    char reset[256];
    size_t reset_length;
    struct sigaction previous[MUSTER_CRASH_SIGNAL_COUNT];
    int installed;
};
static inline struct muster_crash_state *muster_crash_state(void) {
    static struct muster_crash_state state;
    return &state;
}
static inline void muster_crash_handler(int number) {
    struct muster_crash_state *state = muster_crash_state();
    if (state->reset_length > 0) { ssize_t ignored = write(STDOUT_FILENO, state->reset, state->reset_length); (void)ignored; }
    if (state->has_mode) tcsetattr(STDIN_FILENO, TCSANOW, &state->mode);
    const int *signals = muster_crash_signals();
    for (int i = 0; i < MUSTER_CRASH_SIGNAL_COUNT; i++) {
        if (signals[i] == number) sigaction(number, &state->previous[i], NULL);
    }
    raise(number);
}
static inline void muster_append_capability(struct muster_crash_state *state, const char *name) {
    char *value = tigetstr((char *)name);
    if (value == NULL || value == (char *)-1) return;
    size_t length = strlen(value);
    if (state->reset_length + length >= sizeof(state->reset)) return;
    memcpy(state->reset + state->reset_length, value, length);
    state->reset_length += length;
}
static inline void muster_append_raw(struct muster_crash_state *state, const char *bytes) {
    size_t length = strlen(bytes);
    if (state->reset_length + length >= sizeof(state->reset)) return;
    memcpy(state->reset + state->reset_length, bytes, length);
    state->reset_length += length;
}
/// Bracketed paste (xterm's mode 2004): pasted text then arrives between ESC [ 200 ~ and
/// ESC [ 201 ~, so a newline in it does not submit the line. Written straight to the terminal.
static inline void muster_bracketed_paste(int on) {
    fputs(on ? "\033[?2004h" : "\033[?2004l", stdout);
    fflush(stdout);
}
/// Ctrl-Z: curses' own SIGTSTP handler gives the terminal back and stops the process; this one
/// wraps it so that bracketed paste is off while the shell has the terminal, and on again after
/// `fg`. Only write() and the wrapped handler run here.
static inline struct sigaction *muster_tstp_previous(void) {
    static struct sigaction previous;
    return &previous;
}
static inline void muster_tstp_handler(int number) {
    ssize_t ignored = write(STDOUT_FILENO, "\033[?2004l", 8);
    struct sigaction *previous = muster_tstp_previous();
    if (previous->sa_handler == SIG_DFL) {
        raise(SIGSTOP);
    } else if (previous->sa_handler != SIG_IGN) {
        previous->sa_handler(number);
    }
    ignored = write(STDOUT_FILENO, "\033[?2004h", 8);
    (void)ignored;
}
/// Installs the wrapper around whatever handles SIGTSTP now (after newterm: curses' handler).
static inline void muster_install_tstp_wrapper(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = muster_tstp_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTSTP, &action, muster_tstp_previous());
}
/// Puts the wrapped handler back.
static inline void muster_remove_tstp_wrapper(void) {
    sigaction(SIGTSTP, muster_tstp_previous(), NULL);
}
/// Makes curses report the paste markers as the key codes given (after keypad is on).
static inline int muster_define_paste_keys(int start_code, int end_code) {
    if (define_key("\033[200~", start_code) == ERR) return ERR;
    return define_key("\033[201~", end_code);
}
/// Call after curses started: saves the mode to restore (from before curses) and installs the handlers.
static inline void muster_install_crash_restore(const struct termios *mode) {
    struct muster_crash_state *state = muster_crash_state();
    if (mode != NULL) { state->mode = *mode; state->has_mode = 1; }
    state->reset_length = 0;
    muster_append_capability(state, "sgr0");
    muster_append_capability(state, "cnorm");
    muster_append_capability(state, "rmcup");
    muster_append_raw(state, "\033[?2004l");
    // Mouse reporting (the wheel) off again, in both the normal and the SGR encoding.
    muster_append_raw(state, "\033[?1000l\033[?1006l");
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = muster_crash_handler;
    sigemptyset(&action.sa_mask);
    const int *signals = muster_crash_signals();
    for (int i = 0; i < MUSTER_CRASH_SIGNAL_COUNT; i++) sigaction(signals[i], &action, &state->previous[i]);
    state->installed = 1;
}
/// Puts the handlers that were there before back (after a normal exit from curses).
static inline void muster_remove_crash_restore(void) {
    struct muster_crash_state *state = muster_crash_state();
    if (!state->installed) return;
    const int *signals = muster_crash_signals();
    for (int i = 0; i < MUSTER_CRASH_SIGNAL_COUNT; i++) sigaction(signals[i], &state->previous[i], NULL);
    state->installed = 0;
}
/// Turns on wheel reporting only (buttons 4 and 5, no click delay); 0 when the terminal has none.
static inline int muster_enable_wheel(void) {
    mouseinterval(0);
    return mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL) != 0;
}
/// The pending mouse event as wheel steps: -1 up, 1 down, 0 anything else.
static inline int muster_wheel_direction(void) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    if (event.bstate & BUTTON4_PRESSED) return -1;
    if (event.bstate & BUTTON5_PRESSED) return 1;
    return 0;
}
#endif
