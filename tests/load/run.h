/* run.h - one hn-load run: the configuration, the signalling clients (one WebSocket session
 * each, with a publisher peer, a subscriber peer or both) and the hooks between the scenario
 * (main.c), the SFU-specific signalling (sig_hoinghi.c, sig_janus.c) and the media peers.
 * Everything here lives on the main thread. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "media.h"
#include "peer.h"
#include "transport/worker.h"
#include "ws.h"

typedef enum { LOAD_TARGET_HOINGHI, LOAD_TARGET_JANUS } LoadTarget;

typedef struct {
    LoadTarget target;
    char *url;
    char *room;         /* hoinghi room name, or the Janus numeric room id as text */
    guint64 janus_room; /* parsed room id (janus) */
    int publishers;     /* publish-only clients */
    int subscribers;    /* subscribe-only clients (ramp: the most to add) */
    int subscribe_to;   /* subscribers receive the first K publishers; -1 = all */
    int mesh;           /* clients that publish and subscribe to everyone else */
    double duration;    /* measurement window, seconds */
    int ramp_step;      /* > 0: ramp mode, subscribers added per step */
    double ramp_interval;
    double ramp_stop_loss; /* stop ramping after a step with more loss (%) */
    double ramp_ok_loss;   /* a step "holds" when its loss is at most this (%) */
    int join_probes;
    unsigned video_kbps, audio_kbps;
    unsigned video_width, video_height; /* encoded picture size (960x540) */
    gboolean audio;
    double pacing;  /* video pacing factor (0: bursts) */
    char *local_ip; /* libnice peers gather here (NULL: every interface) */
    char *lite_ip;  /* ICE-lite subscribers' address (NULL: they use libnice) */
    int threads;
    char *json_path;
    double max_loss;       /* % */
    double setup_timeout;  /* seconds */
    gboolean wait_streams; /* the window starts once every expected stream delivered a packet */
    int spawn_rate;        /* new clients per second */
    int server_pid;        /* 0: none */
    gboolean verbose;
} LoadConfig;

typedef struct LoadRun LoadRun;
typedef struct LoadClient LoadClient;

struct LoadClient {
    LoadRun *run;
    int index;
    char name[48];
    gboolean publishes, subscribes, probe, admin;
    int pub_index; /* position in run->pubs, -1 */
    LoadWs *ws;
    int64_t start_ns, ws_open_ns;
    HnWorker *worker;
    LoadPeer *pub, *sub;
    gboolean ready;         /* publisher: media flows to the SFU */
    gboolean pub_connected; /* publisher peer: DTLS up */
    gboolean sub_connected;
    gboolean failed, closed;
    char *fail_reason;
    int64_t sub_connected_ns; /* subscriber transport up (as seen on the main thread), 0 */
    int64_t keyframe_ns;      /* subscriber: first complete key frame, 0 none */
    /* signalling state */
    char id[64]; /* hoinghi participant id */
    guint64 session, pub_handle, sub_handle, feed;
    gboolean janus_pub_up, sub_requested, sub_offer_seen;
    unsigned next_tx;
    int64_t last_keepalive_ns;
};

/* What one SFU protocol implements. All on the main thread. */
typedef struct {
    const char *subprotocol;
    /* The WebSocket opened: join (and publish when c->publishes). */
    void (*on_open)(LoadClient *c);
    void (*on_message)(LoadClient *c, const char *text, size_t len);
    /* Subscribe to the wanted publishers (janus); hoinghi subscribes everyone on join. */
    void (*subscribe)(LoadClient *c);
    /* Keep-alives; called every 500 ms. */
    void (*tick)(LoadClient *c, int64_t now_ns);
    /* Leave politely (the socket is closed right after). */
    void (*leave)(LoadClient *c);
    /* Our peer's description / candidate, to send. sdp: transfer full. */
    void (*local_sdp)(LoadClient *c, LoadPeer *p, char *sdp);
    void (*local_candidate)(LoadClient *c, LoadPeer *p, const char *candidate);
} LoadSigOps;

extern const LoadSigOps load_sig_hoinghi;
extern const LoadSigOps load_sig_janus;

/* --- hooks the scenario (main.c) provides to the signalling code ----------------------- */

const LoadConfig *load_run_config(LoadRun *run);
/* Creates c's publisher / subscriber peer on c's worker (once). transfer none. */
LoadPeer *load_run_pub_peer(LoadClient *c);
LoadPeer *load_run_sub_peer(LoadClient *c);
/* The publisher client with this hoinghi participant id / Janus feed id, or NULL. */
LoadClient *load_run_pub_by_id(LoadRun *run, const char *id);
LoadClient *load_run_pub_by_feed(LoadRun *run, guint64 feed);
/* Whether c should receive the publisher with that index (-1: unknown publisher). */
gboolean load_run_wants(LoadClient *c, int pub_index);
/* The publisher clients c should receive, in index order (transfer container). */
GPtrArray *load_run_wanted_pubs(LoadClient *c);
/* c's publisher is accepted by the SFU and sending (hoinghi: DTLS up; janus: "webrtcup"). */
void load_run_pub_ready(LoadClient *c);
/* c failed (signalling error, refused request, transport failure). reason: transfer none. */
void load_run_client_failed(LoadClient *c, const char *reason);
/* Sends one JSON object on c's socket (transfer full of the text). */
void load_run_send(LoadClient *c, char *text);
/* A Janus admin client finished preparing the room (ok FALSE: it failed). */
void load_run_admin_done(LoadRun *run, gboolean ok, const char *reason);

/* --- the run itself (scenario.c) --------------------------------------------------------- */

/* Prepares a run: certificate, worker threads, the WebSocket context on loop. cfg and media:
 * transfer none, must outlive the run. Returns NULL with error set. */
LoadRun *load_run_new(const LoadConfig *cfg, const LoadMedia *media, GMainLoop *loop,
                      GError **error);
/* Runs the scenario to its end on the loop. Returns the exit status: 0 when every check
 * passed, 1 when a check failed (loss, silent subscriber, signalling), 3 when the run could
 * not be set up (SFU unreachable, publishers refused). */
int load_run_execute(LoadRun *run);
/* Ends the run early (SIGINT): the current window is reported, then everyone leaves. */
void load_run_interrupt(LoadRun *run);
void load_run_free(LoadRun *run);
