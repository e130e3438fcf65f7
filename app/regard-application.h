/* regard-application.h */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define REGARD_TYPE_APPLICATION (regard_application_get_type ())
G_DECLARE_FINAL_TYPE (RegardApplication, regard_application, REGARD, APPLICATION, AdwApplication)

RegardApplication *regard_application_new (GApplicationFlags flags);

/* setlocale and bindtextdomain, honouring $REGARD_LOCALEDIR (to run from
 * the build folder) over the installed LOCALEDIR. */
void regard_application_init_i18n (void);

G_END_DECLS
