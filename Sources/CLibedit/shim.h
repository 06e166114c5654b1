// Shim for libedit. history() and el_set() are C variadics, which Swift cannot call:
// one static inline wrapper per operation Muster uses.
#ifndef MUSTER_CLIBEDIT_SHIM_H
#define MUSTER_CLIBEDIT_SHIM_H
#include <stdio.h>
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
#endif
