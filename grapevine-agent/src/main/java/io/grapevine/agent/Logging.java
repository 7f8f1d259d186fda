// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * The agent's logging, configured in code from its flags: lines on stderr in a human or a JSON
 * format, optionally also into a file rotated by size (and daily), a root level that can change
 * while the agent runs, and a tap that {@code grapevine monitor} subscribes to.
 */
public final class Logging {
  /** Log file rotation: a new file past this size... */
  static final String MAX_FILE_SIZE = "10MB";
  /** ...keeping this many old ones. */
  static final int MAX_HISTORY = 7;
  static final List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error");

  private static final List<Consumer<Map<String, Object>>> TAPS = new CopyOnWriteArrayList<>();

  private Logging() {}

  /** The log line formats. */
  public enum Format {
    HUMAN,
    JSON;

    /** @throws IllegalArgumentException naming the accepted values */
    public static Format parse(String text) {
      return switch (text.strip().toLowerCase(Locale.ROOT)) {
        case "human", "text" -> HUMAN;
        case "json" -> JSON;
        default -> throw new IllegalArgumentException("--log-format must be human or json, got '" + text + "'");
      };
    }
  }

  /** Checks a level name; returns it lower-cased. */
  public static String checkLevel(String level) {
    String l = level.strip().toLowerCase(Locale.ROOT);
    if (!LEVELS.contains(l)) {
      throw new IllegalArgumentException("log level must be trace, debug, info, warn or error, got '" + level + "'");
    }
    return l;
  }

  /**
   * Replaces whatever configuration logback found with the agent's.
   *
   * @param file also write to this file (rotated), or null
   */
  public static void configure(String level, Format format, Path file) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(checkLevel(level)));

    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(ctx);
    console.setName("console");
    console.setTarget("System.err");
    console.setEncoder(encoder(ctx, format));
    console.start();
    root.addAppender(console);

    if (file != null) {
      RollingFileAppender<ILoggingEvent> rolling = new RollingFileAppender<>();
      rolling.setContext(ctx);
      rolling.setName("file");
      rolling.setFile(file.toString());
      SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
      policy.setContext(ctx);
      policy.setParent(rolling);
      policy.setFileNamePattern(file + ".%d{yyyy-MM-dd}.%i.gz");
      policy.setMaxFileSize(FileSize.valueOf(MAX_FILE_SIZE));
      policy.setMaxHistory(MAX_HISTORY);
      policy.start();
      rolling.setRollingPolicy(policy);
      rolling.setEncoder(encoder(ctx, format));
      rolling.start();
      root.addAppender(rolling);
    }

    Tap tap = new Tap();
    tap.setContext(ctx);
    tap.setName("monitor");
    tap.start();
    root.addAppender(tap);
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, Format format) {
    return format == Format.JSON ? utf8(ctx, new JsonLineLayout()) : humanEncoder(ctx, true);
  }

  /**
   * Lines for people: local time with its offset, the level, the thread (if asked), the logger's
   * simple name, the message, then any exception's stack trace.
   */
  static Encoder<ILoggingEvent> humanEncoder(LoggerContext ctx, boolean withThread) {
    return utf8(ctx, new HumanLineLayout(withThread));
  }

  /** Starts {@code layout} and an encoder writing its lines in UTF-8. */
  private static Encoder<ILoggingEvent> utf8(LoggerContext ctx, LayoutBase<ILoggingEvent> layout) {
    layout.setContext(ctx);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(ctx);
    encoder.setLayout(layout);
    encoder.setCharset(java.nio.charset.StandardCharsets.UTF_8);
    encoder.start();
    return encoder;
  }

  private static final java.time.format.DateTimeFormatter TIME =
      java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);

  /**
   * A monitor line's time: UTC with exactly three fraction digits (Instant#toString drops a zero
   * fraction, so lines would not line up).
   */
  public static String time(long epochMillis) {
    return TIME.format(Instant.ofEpochMilli(epochMillis));
  }

  /** The root level now. */
  public static String level() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    return ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel().toString().toLowerCase(Locale.ROOT);
  }

  /** Changes the root level while the agent runs. */
  public static void setLevel(String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(checkLevel(level)));
  }

  /**
   * Hands {@code listener} every log line at or above the root level, as a map (time, level,
   * logger, message), on the logging thread: it must only enqueue. Returns what removes it.
   */
  public static AutoCloseable tap(Consumer<Map<String, Object>> listener) {
    TAPS.add(listener);
    return () -> TAPS.remove(listener);
  }

  /** Whether {@code level} (a line's) is at least {@code threshold}. */
  public static boolean atLeast(String level, String threshold) {
    return Level.toLevel(level).isGreaterOrEqual(Level.toLevel(threshold));
  }

  private static final class Tap extends AppenderBase<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent e) {
      if (TAPS.isEmpty()) {
        return;
      }
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("type", "log");
      line.put("time", time(e.getTimeStamp()));
      line.put("level", e.getLevel().toString().toLowerCase(Locale.ROOT));
      line.put("logger", e.getLoggerName());
      line.put("message", e.getFormattedMessage());
      for (Consumer<Map<String, Object>> t : TAPS) {
        t.accept(line);
      }
    }
  }

  /**
   * {@code 2026-12-07T03:04:05.678+01:00 WARN  [main] ClusterNode: message}: the layout logback's
   * pattern {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0}: %msg%n%ex} gives,
   * written by hand because logback's pattern parser and converters are some 100 classes an agent
   * would otherwise load for this one pattern.
   */
  static final class HumanLineLayout extends LayoutBase<ILoggingEvent> {
    private static final java.time.format.DateTimeFormatter LOCAL =
        java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX");
    private final boolean withThread;

    HumanLineLayout(boolean withThread) {
      this.withThread = withThread;
    }

    @Override
    public String doLayout(ILoggingEvent e) {
      StringBuilder sb = new StringBuilder(128);
      LOCAL.formatTo(Instant.ofEpochMilli(e.getTimeStamp()).atZone(java.time.ZoneId.systemDefault()), sb);
      String level = e.getLevel().toString();
      sb.append(' ').append(level);
      for (int i = level.length(); i < 5; i++) {
        sb.append(' ');
      }
      if (withThread) {
        sb.append(" [").append(e.getThreadName()).append(']');
      }
      String logger = e.getLoggerName();
      sb.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ");
      sb.append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        sb.append(ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
      return sb.toString();
    }
  }

  /**
   * One JSON object a line: {@code timestamp} (ISO-8601, UTC), {@code level}, {@code logger},
   * {@code thread}, {@code message} (with its arguments filled in) and {@code exception} when there is
   * one. Written by hand so that the agent needs no JSON library to log.
   */
  static final class JsonLineLayout extends LayoutBase<ILoggingEvent> {
    @Override
    public String doLayout(ILoggingEvent e) {
      StringBuilder sb = new StringBuilder(160);
      sb.append("{\"timestamp\":");
      string(sb, Instant.ofEpochMilli(e.getTimeStamp()).toString());
      sb.append(",\"level\":");
      string(sb, e.getLevel().toString());
      sb.append(",\"logger\":");
      string(sb, e.getLoggerName());
      sb.append(",\"thread\":");
      string(sb, e.getThreadName());
      sb.append(",\"message\":");
      string(sb, e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        sb.append(",\"exception\":");
        string(sb, ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
      return sb.append("}\n").toString();
    }

    static void string(StringBuilder sb, String s) {
      sb.append('"');
      if (s != null) {
        for (int i = 0; i < s.length(); i++) {
          char c = s.charAt(i);
          switch (c) {
            case '"' -> sb.append("\\\"");
            case '\\' -> sb.append("\\\\");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            default -> {
              if (c < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
              } else {
                sb.append(c);
              }
            }
          }
        }
      }
      sb.append('"');
    }
  }
}
