/**
 * Startup profiles: which chunks of an image's lazy layers a container reads at startup, in
 * order, as stored with the image (an OCI referrer artifact) and replayed as prefetch.
 */
package io.fastpull.profile;
