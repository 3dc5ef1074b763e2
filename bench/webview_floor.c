/* The floor under the desktop app's idle memory: the same system WebKitGTK in a bare GTK
 * window of the same size showing one paragraph, with the setting the app makes
 * (accelerated compositing off unless set). bench/desktop_memory.py measures it beside the
 * app in one run. Built by bench/desktop.sh with gcc and pkg-config's webkit2gtk-4.1. */
#include <gtk/gtk.h>
#include <stdlib.h>
#include <webkit2/webkit2.h>

int main(int argc, char **argv) {
  setenv("WEBKIT_DISABLE_COMPOSITING_MODE", "1", 0);
  gtk_init(&argc, &argv);
  GtkWidget *window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size(GTK_WINDOW(window), 1200, 820);
  GtkWidget *view = webkit_web_view_new();
  gtk_container_add(GTK_CONTAINER(window), view);
  webkit_web_view_load_html(WEBKIT_WEB_VIEW(view),
                            "<!doctype html><html><body><p>Duo Workstation</p></body></html>", NULL);
  g_signal_connect(window, "destroy", G_CALLBACK(gtk_main_quit), NULL);
  gtk_widget_show_all(window);
  gtk_main();
  return 0;
}
