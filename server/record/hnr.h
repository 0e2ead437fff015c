/* The track file of a recording (.hnr) and where a meeting's archive folder is.
 *
 * Why our own container: a recording must survive `kill -9` with at most the last ~2 s lost.
 * Matroska/MP4 writers keep an index that is only complete when the file is finalised; an
 * append-only log of the packets as they arrived is complete up to its last whole record at any
 * moment, keeps the media without transcoding, and keeps what alignment needs (RTP timestamps,
 * the publisher's sender reports, arrival times). Playable files (.webm/.mkv) are made from it
 * when the recording finishes, or at the next start after a crash (server/record/).
 *
 *   file   := magic "HNREC001" | u32be json_len | header (json_len bytes of JSON) | record*
 *   record := u8 type | u8 flags (0) | u16be len | u64be arrival_us | payload (len bytes)
 *
 *   type 1 (HN_HNR_RTP):  an RTP packet as the publisher sent it (SRTP removed, before any
 *                         rewriting by the router);
 *   type 2 (HN_HNR_RTCP): an RTCP packet of the publisher about this track (its sender reports
 *                         give NTP <-> RTP);
 *   arrival_us: wall clock (CLOCK_REALTIME) in microseconds since the epoch.
 *
 * The header JSON describes the track: {"v":1, "kind":"video"|"audio", "codec":"VP8"|"H264"|
 * "opus", "clock_rate":90000, "pt":96, "ssrc":N, "fmtp":"...", "participant":"p3", "name":"...",
 * "source":"camera"|"screen"|"mic", "meeting":12, "room":"...", "start_us":N}. A reader must
 * ignore fields it does not know.
 *
 * A record cut short at the end of the file (a crash mid-write) ends the reading: the reader
 * returns what came before and says the tail was truncated.
 *
 * Thread: a writer or reader belongs to one thread at a time (the recorder's); no locks. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdint.h>

#define HN_HNR_MAGIC    "HNREC001"
#define HN_HNR_MAX_JSON (64 * 1024)
#define HN_HNR_MAX_LEN  65535

typedef enum {
    HN_HNR_RTP = 1,
    HN_HNR_RTCP = 2,
} HnHnrType;

typedef struct {
    HnHnrType type;
    uint64_t arrival_us;
    const uint8_t *data; /* valid until the next hn_hnr_reader_next() (transfer none) */
    uint16_t len;
} HnHnrRecord;

typedef struct HnHnrWriter HnHnrWriter;

/* Creates path (which must not exist: O_EXCL) and writes the magic and header (transfer none),
 * then fsyncs it so the file is recognisable from its first second. transfer full; NULL + error. */
HnHnrWriter *hn_hnr_writer_open(const char *path, const json_t *header, GError **error);
/* Buffers one record (len 1..65535). Writes when the buffer is full. 0, or -errno of a failed
 * write (the record is then dropped: the caller counts it), -EINVAL for a bad record. */
int hn_hnr_writer_append(HnHnrWriter *w, HnHnrType type, uint64_t arrival_us, const uint8_t *data,
                         size_t len);
/* Writes what is buffered; with sync, fdatasync()s it (the recorder does this about once a
 * second). 0 or -errno. */
int hn_hnr_writer_flush(HnHnrWriter *w, gboolean sync);
/* Bytes written to the file so far (header included; buffered bytes not). */
uint64_t hn_hnr_writer_bytes(const HnHnrWriter *w);
/* Flushes, fsyncs and closes. NULL ok. */
void hn_hnr_writer_close(HnHnrWriter *w);

typedef struct HnHnrReader HnHnrReader;

/* Opens path and reads its header. transfer full; NULL + error (not an .hnr file, bad header). */
HnHnrReader *hn_hnr_reader_open(const char *path, GError **error);
/* The header (transfer none, valid while r is open). */
const json_t *hn_hnr_reader_header(const HnHnrReader *r);
/* The next record into *out: 1, or 0 at the end (a whole file, or a truncated tail: see
 * hn_hnr_reader_truncated), or -EIO on a read error, -EBADMSG on a malformed record (reading
 * stops). */
int hn_hnr_reader_next(HnHnrReader *r, HnHnrRecord *out);
/* TRUE when the file ended inside a record (a crash while writing). */
gboolean hn_hnr_reader_truncated(const HnHnrReader *r);
/* Offset just after the last whole record read (where a repair would cut the file). */
uint64_t hn_hnr_reader_offset(const HnHnrReader *r);
void hn_hnr_reader_close(HnHnrReader *r);

/* The folder of a meeting in the archive: <data_dir>/archive/YYYY/MM/DD/<meeting_id>, the date
 * being the local date of started_ms (ms since the epoch). transfer full. */
char *hn_archive_meeting_dir(const char *data_dir, int64_t meeting_id, int64_t started_ms);
