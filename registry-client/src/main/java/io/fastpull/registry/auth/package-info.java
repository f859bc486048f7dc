/**
 * Where registry credentials come from: fixed values, or Docker's {@code config.json} with its
 * {@code auths}, {@code credHelpers} and {@code credsStore}. This package owns only lookups; the
 * challenge/token exchange with registries lives in {@code io.fastpull.registry}. Nothing here logs or
 * prints a secret.
 */
package io.fastpull.registry.auth;
