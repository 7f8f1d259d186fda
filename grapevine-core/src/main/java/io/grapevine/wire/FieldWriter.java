// SPDX-License-Identifier: Apache-2.0
package io.grapevine.wire;

import io.grapevine.node.Endpoint;

/** The field-level writes shared by {@link PacketWriter} and {@link MessageEncoder}. */
public interface FieldWriter {
  FieldWriter putByte(int v);

  FieldWriter putShort(int v);

  FieldWriter putInt(int v);

  FieldWriter putLong(long v);

  FieldWriter putString8(String s);

  FieldWriter putBytes16(byte[] bytes);

  FieldWriter putBytes32(byte[] bytes);

  FieldWriter putEndpoint(Endpoint e);
}
