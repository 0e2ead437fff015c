/* The edXML package of signed minutes for a document exchange (LGSP), after QCVN 102:2016/BTTTT
 * (structure of the data packets between document management systems) and its amendment
 * 1:2022 (Circular 01/2022/TT-BTTTT: the structure of agency identifiers). docs/hooks.md lists
 * the elements written and what the check below verifies.
 *
 * Pure: no clock (times are arguments), no I/O. Thread: any. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HN_EDXML_NS "http://www.mic.gov.vn/TBT/QCVN_102_2016"

typedef struct {
    const char *from_code, *from_name; /* the sending agency: identifier "000.00.00.H41" */
    const char *to_code, *to_name;     /* the receiving agency */
    const char *place;                 /* place of promulgation */
    const char *number;                /* the minutes' number and code "12/BB-UBND" */
    const char *title;                 /* subject (trích yếu) */
    const char *signer, *signer_position;
    gint64 date_s;               /* promulgation (signing) time, unix seconds */
    gint64 now_s;                /* the trace's timestamp */
    const char *tz;              /* time zone of the dates ("Asia/Ho_Chi_Minh"); NULL: UTC */
    const char *attachment_name; /* "minutes.pdf" */
    const guint8 *attachment;    /* the signed PDF */
    gsize attachment_len;
    const char *content_id; /* stable id of the attachment (the hook's webhook-id) */
} HnEdxmlDoc;

/* The package (UTF-8 XML, transfer full). */
char *hn_edxml_build(const HnEdxmlDoc *d);

/* The structure check: TRUE when text is well-formed XML whose root holds an edXMLEnvelope in
 * the QCVN 102:2016 namespace with a header (MessageHeader with From and To agencies whose
 * OrganId has the identifier structure, Code with CodeNumber and CodeNotation, PromulgationInfo
 * with a YYYY/MM/DD date, DocumentType, Subject, SignerInfo with FullName, DocumentId; a
 * TraceHeaderList with a TraceHeader) and a body manifest whose every Reference has an
 * attachment, base64, with the same ContentId. Else FALSE and *reason (transfer full). */
gboolean hn_edxml_check(const char *text, gsize len, char **reason);

/* TRUE when code has the structure of an agency identifier: "DDD.DD.DD.LDD" (a capital letter
 * and digits: "000.00.00.H41"). */
gboolean hn_edxml_organ_id_valid(const char *code);

G_END_DECLS
