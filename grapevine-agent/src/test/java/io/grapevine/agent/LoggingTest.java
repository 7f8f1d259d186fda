// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.Configurator;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class LoggingTest {

  private final LoggerContext ctx = new LoggerContext();

  private String pattern(String pattern, LoggingEvent e) {
    PatternLayout layout = new PatternLayout();
    layout.setContext(ctx);
    layout.setPattern(pattern);
    layout.start();
    return layout.doLayout(e);
  }

  private static LoggingEvent event(Level level, Throwable t) {
    LoggingEvent e = new LoggingEvent("x", new LoggerContext().getLogger("io.grapevine.runtime.ClusterNode"),
        level, "node {} is {}", t, new Object[] {"a", "alive"});
    e.setThreadName("grapevine-io");
    e.setTimeStamp(1_796_612_645_678L);
    return e;
  }

  @Test
  void humanLinesAreWhatLogbacksPatternGives() {
    for (Level level : new Level[] {Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG, Level.TRACE}) {
      for (Throwable t : new Throwable[] {null, new IllegalStateException("boom", new RuntimeException("root"))}) {
        LoggingEvent e = event(level, t);
        Logging.HumanLineLayout withThread = new Logging.HumanLineLayout(true);
        withThread.setContext(ctx);
        assertThat(withThread.doLayout(e))
            .isEqualTo(pattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0}: %msg%n%ex", e));
        Logging.HumanLineLayout plain = new Logging.HumanLineLayout(false);
        plain.setContext(ctx);
        assertThat(plain.doLayout(e))
            .isEqualTo(pattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}: %msg%n%ex", e));
      }
    }
  }

  @Test
  void logbackFindsTheDefaultsInCodeWarningsOnStderr() {
    assertThat(ServiceLoader.load(Configurator.class).stream().map(ServiceLoader.Provider::type))
        .contains(DefaultLogging.class);
    LoggerContext fresh = new LoggerContext();
    DefaultLogging defaults = new DefaultLogging();
    defaults.setContext(fresh);
    assertThat(defaults.configure(fresh)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    ch.qos.logback.classic.Logger root = fresh.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.WARN);
    assertThat(root.getAppender("stderr")).isInstanceOf(ch.qos.logback.core.ConsoleAppender.class);
  }
}
