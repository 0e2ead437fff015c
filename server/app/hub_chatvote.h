/* Chat and votes of a live meeting: the hub's glue between the protocol (chat, vote-open,
 * vote-cast, vote-close), the rules (meeting/chat.h, meeting/vote.h) and the store
 * (store/db_chatvote.h). Every line, vote and ballot is written on the store thread first; the
 * sender's `ack` and the broadcast follow the commit, so "acked" means durable.
 * Thread: main loop only. */
#pragma once

#include "app/hub_priv.h"

typedef struct HnHubChatVote HnHubChatVote;

/* NULL ok. */
void hn_hub_chatvote_free(HnHubChatVote *cv);
/* A participant joined: sends it the open vote of its room (if any) and the chat history it may
 * read (chat-history, after a store query). */
void hn_hub_chatvote_joined(HnHub *hub, const HnHubConn *c);
/* Handles chat, vote-open, vote-cast and vote-close from the joined participant c; FALSE for any
 * other message type. */
gboolean hn_hub_chatvote_message(HnHub *hub, const HnHubConn *c, const HnProtoMsg *m);
