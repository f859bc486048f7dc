/**
 * {@code fastpull record}: runs an image once through {@link io.fastpull.run.Runner} with the
 * fastpull daemon tracing its lazy layers, turns the chunks the startup read into a
 * {@link io.fastpull.profile.StartupProfile} and stores it in the registry as a referrer of the
 * image manifest, where the daemon finds it and replays it as prefetch on later mounts.
 *
 * <p>Depends on {@link io.fastpull.run}, {@link io.fastpull.control}, the registry client and the
 * profile value; never on the daemon's internals or on picocli.
 */
package io.fastpull.record;
