// SPDX-License-Identifier: Apache-2.0
package io.grapevine.security;

/**
 * One installed key as a keyring lists it.
 *
 * @param fingerprint a short name that does not reveal the key ({@link Keys#fingerprint})
 * @param key the key, base64; secret: for the operator's own tools, never for logs or metrics
 * @param bits 128, 192 or 256
 * @param primary whether this key seals outgoing packets
 * @param opened inbound packets this key opened since the node started, so an operator sees when an
 *     old key is no longer used before removing it
 */
public record KeyInfo(String fingerprint, String key, int bits, boolean primary, long opened) {
  @Override
  public String toString() {
    // Never the key itself: records end up in logs.
    return "KeyInfo[" + fingerprint + ", " + bits + " bits" + (primary ? ", primary" : "") + ", opened " + opened + "]";
  }
}
