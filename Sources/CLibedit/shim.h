// Shim for libedit. history() and el_set() are C variadics, which Swift cannot call:
// one static inline wrapper per operation Muster uses.
#ifndef MUSTER_CLIBEDIT_SHIM_H
#define MUSTER_CLIBEDIT_SHIM_H
#include <stdio.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <sys/ioctl.h>
#include <histedit.h>

static inline int muster_history_setsize(History *h, HistEvent *ev, int size) { return history(h, ev, H_SETSIZE, size); }
static inline int muster_history_setunique(History *h, HistEvent *ev, int flag) { return history(h, ev, H_SETUNIQUE, flag); }
static inline int muster_history_enter(History *h, HistEvent *ev, const char *line) { return history(h, ev, H_ENTER, line); }
static inline int muster_history_load(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_LOAD, path); }
static inline int muster_history_save(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_SAVE, path); }
static inline int muster_history_first(History *h, HistEvent *ev) { return history(h, ev, H_FIRST); }
static inline int muster_history_next(History *h, HistEvent *ev) { return history(h, ev, H_NEXT); }
static inline int muster_history_last(History *h, HistEvent *ev) { return history(h, ev, H_LAST); }
static inline int muster_history_prev(History *h, HistEvent *ev) { return history(h, ev, H_PREV); }
static inline int muster_history_get_size(History *h, HistEvent *ev) { return history(h, ev, H_GETSIZE); }
static inline int muster_history_clear(History *h, HistEvent *ev) { return history(h, ev, H_CLEAR); }

typedef char *(*muster_prompt_fn)(EditLine *);
static inline int muster_el_set_prompt(EditLine *el, muster_prompt_fn fn) { return el_set(el, EL_PROMPT, fn); }
static inline int muster_el_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int muster_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int muster_el_set_signal(EditLine *el, int flag) { return el_set(el, EL_SIGNAL, flag); }

// Prompts as C functions, so Swift passes no closure (and no global state) to libedit.
static inline char *muster_prompt_arrow(EditLine *el) { (void)el; return (char *)"> "; }
static inline char *muster_prompt_none(EditLine *el) { (void)el; return (char *)""; }
/// Shows "> " before each line, or nothing (when input is not a terminal).
static inline int muster_el_use_prompt(EditLine *el, int visible) {
    return el_set(el, EL_PROMPT, visible ? muster_prompt_arrow : muster_prompt_none);
}

static inline FILE *muster_edit_stdin(void) { return stdin; }
static inline FILE *muster_edit_stdout(void) { return stdout; }
static inline FILE *muster_edit_stderr(void) { return stderr; }
// A line reader that shares the terminal: output from other threads is queued by the caller,
// who writes a byte to `wake_fd`; the read function (on the reading thread, which owns
// libedit) clears the prompt line, lets `flush` print the queue, and redraws the prompt with
// the partly typed line. Tab asks `complete` (see muster_el_complete).
typedef void (*muster_flush_fn)(void *context);
/// Fills `out` for the line typed so far: returns 0 (nothing), 1 (`out` replaces the line) or
/// 2 (`out` lists candidates to show).
typedef int (*muster_complete_fn)(void *context, const char *line, char *out, size_t size);
typedef struct muster_reader {
    int wake_fd;
    muster_flush_fn flush;
    muster_complete_fn complete;
    void *context;
} muster_reader;

/// Blanks the prompt line (spaces, not escape sequences: plain mode also serves dumb terminals).
static inline void muster_el_blank_line(EditLine *el) {
    const LineInfoW *li = el_wline(el);
    size_t cells = (size_t)(li->lastchar - li->buffer) * 2 + 2;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && cells > (size_t)ws.ws_col - 1) cells = ws.ws_col - 1;
    char blank[512];
    if (cells > sizeof blank - 2) cells = sizeof blank - 2;
    blank[0] = '\r';
    memset(blank + 1, ' ', cells);
    blank[cells + 1] = '\r';
    ssize_t ignored = write(STDOUT_FILENO, blank, cells + 2);
    (void)ignored;
}

/// Reads one byte from stdin, retrying on EINTR: 1, 0 at end of input, -1 on error.
static inline int muster_read_byte(unsigned char *byte) {
    for (;;) {
        ssize_t n = read(STDIN_FILENO, byte, 1);
        if (n == 1) return 1;
        if (n == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

/// One character from stdin, decoded from UTF-8 (a bad sequence reads as U+FFFD).
static inline int muster_read_utf8(wchar_t *out) {
    unsigned char byte;
    int rc = muster_read_byte(&byte);
    if (rc != 1) return rc;
    int more = byte < 0x80 ? 0 : (byte & 0xE0) == 0xC0 ? 1 : (byte & 0xF0) == 0xE0 ? 2 : (byte & 0xF8) == 0xF0 ? 3 : -1;
    if (more < 0) { *out = 0xFFFD; return 1; }
    unsigned int value = more == 0 ? byte : byte & (0x3F >> more);
    for (int i = 0; i < more; i++) {
        rc = muster_read_byte(&byte);
        if (rc != 1) return rc;
        if ((byte & 0xC0) != 0x80) { *out = 0xFFFD; return 1; }
        value = (value << 6) | (byte & 0x3F);
    }
    *out = (wchar_t)value;
    return 1;
}

/// The read function: waits for a key or for queued output, whichever comes first.
static inline int muster_el_read_char(EditLine *el, wchar_t *out) {
    muster_reader *reader = NULL;
    el_get(el, EL_CLIENTDATA, &reader);
    for (;;) {
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {reader ? reader->wake_fd : -1, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (fds[1].revents & POLLIN) {
            char drain[64];
            while (read(reader->wake_fd, drain, sizeof drain) > 0) {}
            muster_el_blank_line(el);
            reader->flush(reader->context);
            el_set(el, EL_REFRESH);
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) return muster_read_utf8(out);
    }
}

/// Tab: completes the line (at its end) through the reader's `complete`.
static inline unsigned char muster_el_complete(EditLine *el, int ch) {
    (void)ch;
    muster_reader *reader = NULL;
    el_get(el, EL_CLIENTDATA, &reader);
    const LineInfo *li = el_line(el);
    if (!reader || li->cursor != li->lastchar) return CC_ERROR;
    size_t length = (size_t)(li->lastchar - li->buffer);
    char line[1024], out[4096];
    if (length >= sizeof line) return CC_ERROR;
    memcpy(line, li->buffer, length);
    line[length] = 0;
    switch (reader->complete(reader->context, line, out, sizeof out)) {
    case 1:
        el_deletestr(el, (int)(el_wline(el)->lastchar - el_wline(el)->buffer));
        el_insertstr(el, out);
        return CC_REFRESH;
    case 2: {
        ssize_t ignored = write(STDOUT_FILENO, "\n", 1);
        ignored = write(STDOUT_FILENO, out, strlen(out));
        ignored = write(STDOUT_FILENO, "\n", 1);
        (void)ignored;
        return CC_REDISPLAY;
    }
    default:
        return CC_ERROR;
    }
}

/// Installs `reader`: its read function, and Tab bound to its completion.
static inline void muster_el_use_reader(EditLine *el, muster_reader *reader) {
    el_set(el, EL_CLIENTDATA, reader);
    el_set(el, EL_GETCFN, muster_el_read_char);
    el_set(el, EL_ADDFN, "muster-complete", "Complete a command", muster_el_complete);
    el_set(el, EL_BIND, "^I", "muster-complete", NULL);
}
#endif
