// Shim for libncursesw. SwiftPM drops pkg-config's -D_XOPEN_SOURCE=600, which hides the
// wide-character API (cchar_t, wget_wch, ...); defining NCURSES_WIDECHAR restores it.
#ifndef MUSTER_CNCURSESW_SHIM_H
#define MUSTER_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <stdio.h>
#include <wchar.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <ncursesw/curses.h>

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
#endif
