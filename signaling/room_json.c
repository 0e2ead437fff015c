#include "signaling/room_json.h"

#include <glib.h>

HnProtoErrorCode hn_room_json_error_code(HnRoomError code)
{
    switch (code) {
    case HN_ROOM_ERR_BAD_SDP:
        return HN_PROTO_ERR_BAD_SDP;
    case HN_ROOM_ERR_BAD_STATE:
        return HN_PROTO_ERR_BAD_STATE;
    case HN_ROOM_ERR_FORBIDDEN:
        return HN_PROTO_ERR_FORBIDDEN;
    case HN_ROOM_ERR_LIMIT:
        return HN_PROTO_ERR_LIMIT;
    case HN_ROOM_ERR_INTERNAL:
        break;
    }
    return HN_PROTO_ERR_INTERNAL;
}

/* The wire name of a role (signaling/ does not link the media core). */
static const char *role_json(HnRole role)
{
    switch (role) {
    case HN_ROLE_CHAIR:
        return "chair";
    case HN_ROLE_SECRETARY:
        return "secretary";
    case HN_ROLE_OBSERVER:
        return "observer";
    case HN_ROLE_SITE:
        return "site";
    case HN_ROLE_MEMBER:
        break;
    }
    return "member";
}

static char *event_json(const HnRoomEvent *ev)
{
    switch (ev->type) {
    case HN_RE_PARTICIPANT_JOINED: {
        HnProtoParticipant p = {
            .id = ev->participant_id, .name = ev->name, .role = role_json(ev->role)};
        return hn_proto_build_participant_joined(&p);
    }
    case HN_RE_PARTICIPANT_LEFT: {
        HnProtoLeaveReason r = ev->reason == HN_LEAVE_TIMEOUT        ? HN_PROTO_TIMEOUT
                               : ev->reason == HN_LEAVE_DISCONNECTED ? HN_PROTO_DISCONNECTED
                                                                     : HN_PROTO_LEFT;
        return hn_proto_build_participant_left(ev->participant_id, r);
    }
    case HN_RE_ACTIVE_SPEAKER:
        return hn_proto_build_active_speaker(ev->participant_id, ev->speaking, ev->n_speaking);
    case HN_RE_VIDEO_PAUSED:
        return hn_proto_build_video_paused(ev->participant_id, ev->paused, "last-n");
    default:
        return NULL; /* track and policy events: not in protocol version 1 yet */
    }
}

static const char *source_json(HnTrackSource s)
{
    switch (s) {
    case HN_SOURCE_MICROPHONE:
        return "microphone";
    case HN_SOURCE_CAMERA:
        return "camera";
    case HN_SOURCE_SCREEN:
        return "screen";
    }
    return NULL;
}

static char *out_json(const HnRoomOut *o)
{
    switch (o->type) {
    case HN_ROOM_OUT_JOINED: {
        HnProtoParticipant *others = g_new0(HnProtoParticipant, o->n_members + 1);
        for (size_t i = 0; i < o->n_members; i++)
            others[i] = (HnProtoParticipant){.id = o->members[i].id,
                                             .name = o->members[i].name,
                                             .role = role_json(o->members[i].role)};
        char *text = hn_proto_build_joined_as(o->self_id, o->room, role_json(o->self_role), others,
                                              o->n_members);
        g_free(others);
        return text;
    }
    case HN_ROOM_OUT_EVENT:
        return event_json(o->event);
    case HN_ROOM_OUT_ANSWER:
        return hn_proto_build_answer(o->sdp);
    case HN_ROOM_OUT_OFFER: {
        HnProtoTrack *t = g_new0(HnProtoTrack, o->n_tracks + 1);
        for (size_t i = 0; i < o->n_tracks; i++)
            t[i] = (HnProtoTrack){.mid = o->tracks[i].mid,
                                  .participant = o->tracks[i].participant,
                                  .kind = o->tracks[i].kind == HN_KIND_AUDIO ? HN_PROTO_KIND_AUDIO
                                                                             : HN_PROTO_KIND_VIDEO,
                                  .source = source_json(o->tracks[i].source)};
        char *text = hn_proto_build_offer(o->sdp, t, o->n_tracks);
        g_free(t);
        return text;
    }
    case HN_ROOM_OUT_CANDIDATE:
        return hn_proto_build_candidate(o->sub ? HN_PROTO_PC_SUB : HN_PROTO_PC_PUB, o->candidate,
                                        o->candidate ? "0" : NULL);
    case HN_ROOM_OUT_CONNECTED:
        return hn_proto_build_connected(o->sub ? HN_PROTO_PC_SUB : HN_PROTO_PC_PUB);
    case HN_ROOM_OUT_LINK:
        return hn_proto_build_link(o->link_bps, o->link_source, o->link_loss);
    case HN_ROOM_OUT_ERROR:
        return hn_proto_build_error(hn_room_json_error_code(o->code), o->message, o->ref);
    case HN_ROOM_OUT_LAYERS:
        return hn_proto_build_layers(o->mid, o->rids, o->n_rids);
    case HN_ROOM_OUT_SHARE_STOPPED:
        return hn_proto_build_share_stopped(o->self_id, "takeover");
    }
    return NULL;
}

char *hn_room_json(const HnRoomOut *out)
{
    char *text = out_json(out);
    return text && out->req_id ? hn_proto_attach_id(text, out->req_id) : text;
}
