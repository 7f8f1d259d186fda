// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The reference line of one protocol knob, on the config field the knob sets: what {@link
 * ConfigRegistry} shows for it and what docs/configuration.md lists. The field's Javadoc stays the
 * long form.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface KnobDoc {
  /** What the knob does and why its default is what it is, in one line. */
  String value();

  /** The unit of a number knob ({@code bytes}, {@code peers}, {@code rounds}); empty for others. */
  String unit() default "";

  /** The values the config's builder accepts ({@code 1..64}, {@code positive}); empty if any. */
  String valid() default "";
}
