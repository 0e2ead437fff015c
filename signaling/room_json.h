/* The room's typed output (app/room_out.h HnRoomOut, core/room_model.h HnRoomEvent) written as the
 * wire JSON of docs/signaling.md. The only place room output becomes JSON. Pure functions; any
 * thread. */
#pragma once

#include "app/room_out.h"
#include "signaling/protocol.h"

/* The message for one participant (transfer full, free()), or NULL when this output has no
 * wire form in protocol version 1 (e.g. track events the client does not use yet). The request
 * id (out->req_id) is echoed when set. */
char *hn_room_json(const HnRoomOut *out);
/* Wire error code of a room error. */
HnProtoErrorCode hn_room_json_error_code(HnRoomError code);
