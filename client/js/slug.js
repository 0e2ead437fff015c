// Room names as people type them ("Sở Y tế", "Giao ban tuần") and as the server knows them
// ("so-y-te", "giao-ban-tuan"): accents dropped, đ -> d, lower case, every other run of
// characters a single "-". The server compares room names without regard to case.

export const ROOM_MAX = 64;
const ROOM_RE = /^[a-z0-9_.-]{1,64}$/;

/** {slug, error}: error is an i18n key ('form.room.invalid', 'form.room.tooLong') or null. */
export function roomSlug(input) {
  const slug = String(input || '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '-')
    .replace(/^[-.]+|-+$/g, '');
  if (slug.length > ROOM_MAX) return { slug, error: 'form.room.tooLong' };
  if (!ROOM_RE.test(slug)) return { slug, error: 'form.room.invalid' };
  return { slug, error: null };
}
