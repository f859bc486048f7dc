/**
 * Reusable test fixtures for anything that talks to a registry (shipped in registry-client's test-jar):
 * {@link io.fastpull.registry.testing.LocalRegistry} runs the real Debian {@code docker-registry}
 * (distribution 2.8) on loopback in open, htpasswd, token or TLS mode;
 * {@link io.fastpull.registry.testing.TokenServer} issues signed JWTs for token mode;
 * {@link io.fastpull.registry.testing.FaultProxy} sits in front of it and injects failures.
 * All of them bind 127.0.0.1 on free ports, live in a caller-supplied temp directory and stop what they
 * started on {@code close()}.
 */
package io.fastpull.registry.testing;
