/**
 * Startup profiles: which chunks of an image's lazy layers a container reads at startup, in
 * order, as stored with the image (an OCI referrer artifact) and replayed as prefetch. {@link
 * ProfileResolver} finds an image's profile with the registry client; this package knows nothing
 * of FUSE or the chunk reader.
 */
package io.fastpull.profile;
