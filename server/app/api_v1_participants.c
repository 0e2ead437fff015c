/* /api/v1/rooms/NAME/participants: the live participants of a room, mute and remove. They need
 * the moderation capability (app/hub_moderation.h), which is not in this tree yet: until it
 * lands these paths answer 501 with a problem details object. */
#include "app/api_v1_priv.h"

void hn_api_participants(HnApiCall *c)
{
    hn_api_problem(c, 501, "unavailable",
                   "live participants need the moderation capability, not in this build yet");
}
