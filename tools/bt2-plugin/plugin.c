/*
 * plugin.c - the babeltrace2 plugin "rhook" and its component class
 * source.rhook.recorder (rhbt.h).
 *
 * babeltrace2 finds the plugin through its descriptor sections, which
 * BT_PLUGIN_MODULE() reaches with functions it defines without
 * prototypes: they must be visible from the shared object.
 */
#include "rhbt.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC visibility push(default)
BT_PLUGIN_MODULE();
#pragma GCC visibility pop
#pragma GCC diagnostic pop

BT_PLUGIN(rhook);
BT_PLUGIN_DESCRIPTION("rhook's flight recorder traces, read as LTTng-UST traces of the same events");
BT_PLUGIN_AUTHOR("the rhook authors");
BT_PLUGIN_LICENSE("LGPL-2.1-or-later");

BT_PLUGIN_SOURCE_COMPONENT_CLASS(recorder, rhbt_iter_next);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_DESCRIPTION(recorder, "Read rhook flight recorder files and directories.");
BT_PLUGIN_SOURCE_COMPONENT_CLASS_HELP(recorder, "See the babeltrace2-plugin-rhook(7) manual page.");
BT_PLUGIN_SOURCE_COMPONENT_CLASS_INITIALIZE_METHOD(recorder, rhbt_source_init);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_FINALIZE_METHOD(recorder, rhbt_source_finalize);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_QUERY_METHOD(recorder, rhbt_source_query);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD(recorder, rhbt_iter_init);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_MESSAGE_ITERATOR_CLASS_FINALIZE_METHOD(recorder, rhbt_iter_finalize);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_MESSAGE_ITERATOR_CLASS_SEEK_BEGINNING_METHODS(recorder, rhbt_iter_seek_beginning,
									       rhbt_iter_can_seek_beginning);
