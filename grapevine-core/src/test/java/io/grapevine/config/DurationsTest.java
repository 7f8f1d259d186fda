// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @ParameterizedTest(name = "{0} = {1} ms")
  @CsvSource(delimiter = '|', value = {
      "250ms     | 250",
      "0ms       | 0",
      "0s        | 0",
      "2s        | 2000",
      "1.5s      | 1500",
      "0.5m      | 30000",
      "1.25s     | 1250",
      "5m        | 300000",
      "1h        | 3600000",
      "1.5h      | 5400000",
      "0.001s    | 1",
      "1.0s      | 1000",
      "'  2m  '  | 120000",
      "PT1.5S    | 1500",
      "pt1.5s    | 1500",
      "PT2M      | 120000",
      "P1D       | 86400000",
      "PT0.001S  | 1",
      "PT0S      | 0",
  })
  void accepts(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', value = {
      "soon     | expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'",
      "''       | expected a duration like 250ms, 1.5s, 2m or PT1S, got ''",
      "500      | expected a duration like 250ms, 1.5s, 2m or PT1S, got '500': add a unit, like 500ms",
      "1.5      | expected a duration like 250ms, 1.5s, 2m or PT1S, got '1.5': add a unit, like 1.5ms",
      "2 s      | expected a duration like 250ms, 1.5s, 2m or PT1S, got '2 s'",
      "2S       | expected a duration like 250ms, 1.5s, 2m or PT1S, got '2S'",
      "250us    | expected a duration like 250ms, 1.5s, 2m or PT1S, got '250us'",
      "1d       | expected a duration like 250ms, 1.5s, 2m or PT1S, got '1d'",
      ".5s      | expected a duration like 250ms, 1.5s, 2m or PT1S, got '.5s'",
      "1.s      | expected a duration like 250ms, 1.5s, 2m or PT1S, got '1.s'",
      "PTxS     | expected a duration like 250ms, 1.5s, 2m or PT1S, got 'PTxS'",
      "-1s      | a duration must not be negative, got '-1s'",
      "PT-1S    | a duration must not be negative, got 'PT-1S'",
      "0.5ms    | '0.5ms' is not a whole number of milliseconds (the finest step is 1ms)",
      "1.0005s  | '1.0005s' is not a whole number of milliseconds (the finest step is 1ms)",
      "PT0.0005S | 'PT0.0005S' is not a whole number of milliseconds (the finest step is 1ms)",
      "99999999999999999999h | duration '99999999999999999999h' is too long",
  })
  void rejectsWithAMessageQuotingTheValue(String text, String message) {
    assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  @ParameterizedTest(name = "{0} ms -> {1}")
  @CsvSource(delimiter = '|', value = {
      "0        | 0s",
      "1        | 1ms",
      "125      | 125ms",
      "250      | 250ms",
      "1000     | 1s",
      "1001     | 1001ms",
      "1250     | 1.25s",
      "1500     | 1.5s",
      "20000    | 20s",
      "30000    | 30s",
      "90000    | 90s",
      "300000   | 5m",
      "5400000  | 90m",
      "9000000  | 150m",
      "3600000  | 1h",
      "21600000 | 6h",
  })
  void formatsTheShortestExactForm(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void formatFallsBackToIsoWhereTheGrammarHasNoExactForm() {
    assertThat(Durations.format(Duration.ofNanos(500_000))).isEqualTo("PT0.0005S");
    assertThat(Durations.format(Duration.ofSeconds(-1))).isEqualTo("PT-1S");
  }

  @Test
  void everyWholeMillisecondCountRoundTrips() {
    for (long ms = 0; ms < 200_000; ms += 7) {
      Duration d = Duration.ofMillis(ms);
      assertThat(Durations.parse(Durations.format(d))).as("%d ms", ms).isEqualTo(d);
    }
  }
}
