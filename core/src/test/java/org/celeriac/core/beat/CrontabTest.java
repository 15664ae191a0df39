package org.celeriac.core.beat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Cases ported from Celery 5.2's {@code t/unit/app/test_schedules.py} ({@code test_crontab_parser},
 * {@code test_crontab}, {@code test_crontab_remaining_estimate}), written from the semantics of
 * {@code celery/schedules.py}.
 */
class CrontabTest {

    private static Set<Integer> parse(String spec, int max, int min) {
        return Crontab.expand("f", spec, max, min);
    }

    private static Set<Integer> range(int from, int toExclusive) {
        return IntStream.range(from, toExclusive).boxed().collect(Collectors.toCollection(TreeSet::new));
    }

    private static Instant at(int y, int mo, int d, int h, int mi, int s) {
        return LocalDateTime.of(y, mo, d, h, mi, s).toInstant(ZoneOffset.UTC);
    }

    private static Instant next(Crontab c, Instant last) {
        return c.nextAfter(last, ZoneOffset.UTC);
    }

    @Test
    void parseStar() {
        assertThat(parse("*", 60, 0)).isEqualTo(range(0, 60));
        assertThat(parse("*", 24, 0)).isEqualTo(range(0, 24));
        assertThat(parse("*", 7, 0)).isEqualTo(range(0, 7));
        assertThat(parse("*", 31, 1)).isEqualTo(range(1, 32));
        assertThat(parse("*", 12, 1)).isEqualTo(range(1, 13));
    }

    @Test
    void parseRangeAndWrappingRange() {
        assertThat(parse("1-10", 60, 0)).isEqualTo(range(1, 11));
        assertThat(parse("0-20", 24, 0)).isEqualTo(range(0, 21));
        assertThat(parse("11-1", 12, 0)).containsExactlyInAnyOrder(11, 0, 1);
        assertThat(parse("2-1", 60, 1)).isEqualTo(range(1, 61));
    }

    @Test
    void parseGroupsAndSteps() {
        assertThat(parse("1,2,3,4", 60, 0)).containsExactly(1, 2, 3, 4);
        assertThat(parse("0,15,30,45", 60, 0)).containsExactly(0, 15, 30, 45);
        assertThat(parse("*/2", 8, 0)).containsExactly(0, 2, 4, 6);
        assertThat(parse("*/2", 60, 0)).isEqualTo(IntStream.range(0, 30).map(i -> i * 2).boxed().collect(Collectors.toSet()));
        assertThat(parse("*/3", 60, 0)).isEqualTo(IntStream.range(0, 20).map(i -> i * 3).boxed().collect(Collectors.toSet()));
        assertThat(parse("*/2", 8, 1)).containsExactly(1, 3, 5, 7);
        assertThat(parse("*/3", 60, 1)).isEqualTo(IntStream.range(0, 20).map(i -> i * 3 + 1).boxed().collect(Collectors.toSet()));
    }

    @Test
    void parseComposite() {
        assertThat(parse("2-9/5", 60, 0)).containsExactly(2, 7);
        assertThat(parse("2-10/5", 60, 0)).containsExactly(2, 7);
        assertThat(parse("55-5/3", 60, 1)).containsExactlyInAnyOrder(55, 58, 1, 4);
        assertThat(parse("2-11/5,3", 60, 0)).containsExactly(2, 3, 7);
        assertThat(parse("2-4/3,*/5,0-21/4", 60, 0))
                .containsExactly(0, 2, 4, 5, 8, 10, 12, 15, 16, 20, 25, 30, 35, 40, 45, 50, 55);
        assertThat(parse("1-9/2", 60, 0)).containsExactly(1, 3, 5, 7, 9);
        assertThat(parse("*/2", 24, 1)).isEqualTo(IntStream.range(0, 12).map(i -> i * 2 + 1).boxed().collect(Collectors.toSet()));
    }

    @Test
    void parseErrorsNameTheFieldAndRange() {
        for (String bad : List.of("", "1,,2", "*/", "2-3/", "-20", "61", "61-62", "foo", "*/0")) {
            assertThatThrownBy(() -> Crontab.expand("minute", bad, 60, 0)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minute").hasMessageContaining("0-59");
        }
        assertThatThrownBy(() -> Crontab.of(60, null, null, null, null)).hasMessageContaining("minute")
                .hasMessageContaining("between 0 and 59");
        assertThatThrownBy(() -> Crontab.of(null, "0-24", null, null, null)).hasMessageContaining("hour");
        assertThatThrownBy(() -> Crontab.of(null, null, "7", null, null)).hasMessageContaining("day_of_week");
        assertThatThrownBy(() -> Crontab.of(null, null, "fooday-barday", null, null)).hasMessageContaining("day_of_week");
        assertThatThrownBy(() -> Crontab.of(null, null, null, 0, null)).hasMessageContaining("day_of_month")
                .hasMessageContaining("between 1 and 31");
        assertThatThrownBy(() -> Crontab.of(null, null, null, "1-32", null)).hasMessageContaining("day_of_month");
        assertThatThrownBy(() -> Crontab.of(null, null, null, null, 13)).hasMessageContaining("month_of_year");
        assertThatThrownBy(() -> Crontab.of(Map.of("minutes", 5))).hasMessageContaining("minutes");
    }

    @Test
    void defaultsAreStarAndFieldFormats() {
        Crontab c = Crontab.of(null, null, null, null, null);
        assertThat(c.minutes()).isEqualTo(range(0, 60));
        assertThat(c.hours()).isEqualTo(range(0, 24));
        assertThat(c.daysOfWeek()).isEqualTo(range(0, 7));
        assertThat(c.daysOfMonth()).isEqualTo(range(1, 32));
        assertThat(c.monthsOfYear()).isEqualTo(range(1, 13));
        assertThat(Crontab.of(30, null, null, null, null).minutes()).containsExactly(30);
        assertThat(Crontab.of("30", null, null, null, null).minutes()).containsExactly(30);
        assertThat(Crontab.of(List.of(30, 40, 50), null, null, null, null).minutes()).containsExactly(30, 40, 50);
        assertThat(Crontab.of(Set.of(30, 40, 50), null, null, null, null).minutes()).containsExactly(30, 40, 50);
    }

    @Test
    void dayOfWeekNamesZeroIsSunday() {
        assertThat(Crontab.of(null, null, "fri", null, null).daysOfWeek()).containsExactly(5);
        assertThat(Crontab.of(null, null, "sunday", null, null).daysOfWeek()).containsExactly(0);
        assertThat(Crontab.of(null, null, "*/2", null, null).daysOfWeek()).containsExactly(0, 2, 4, 6);
        assertThat(Crontab.of(null, null, "fri,sat", null, null).daysOfWeek()).containsExactly(5, 6);
        assertThat(Crontab.of(null, null, "mon-fri", null, null).daysOfWeek()).containsExactly(1, 2, 3, 4, 5);
        assertThat(Crontab.of(null, null, "mon-fri/2", null, null).daysOfWeek()).containsExactly(1, 3, 5);
        assertThat(Crontab.of(null, null, "fri-sun", null, null).daysOfWeek()).containsExactlyInAnyOrder(5, 6, 0);
        assertThat(Crontab.of(null, null, null, null, "2-12/2").monthsOfYear()).containsExactly(2, 4, 6, 8, 10, 12);
        assertThat(Crontab.of(null, null, null, "*/2", null).daysOfMonth()).first().isEqualTo(1);
    }

    @Test
    void hourZeroAloneFiresEveryMinuteOfHourZero() {
        Crontab c = Crontab.of(Map.of("hour", "0"));
        assertThat(next(c, at(2026, 1, 1, 0, 0, 0))).isEqualTo(at(2026, 1, 1, 0, 1, 0));
        assertThat(next(c, at(2026, 1, 1, 0, 58, 30))).isEqualTo(at(2026, 1, 1, 0, 59, 0));
        assertThat(next(c, at(2026, 1, 1, 0, 59, 0))).isEqualTo(at(2026, 1, 2, 0, 0, 0));
    }

    @Test
    void remainingEstimatesFromCelerysTests() {
        // test_weekday: Saturday 14:30 -> next Saturday
        assertThat(next(Crontab.of(30, 14, "sat", null, null), at(2010, 9, 11, 14, 30, 15)))
                .isEqualTo(at(2010, 9, 18, 14, 30, 0));
        // test_specific_hour
        assertThat(next(Crontab.of(30, 14, null, null, null), at(2010, 9, 11, 14, 30, 15)))
                .isEqualTo(at(2010, 9, 12, 14, 30, 0));
        // test_monthday
        assertThat(next(Crontab.of(30, 14, null, 18, null), at(2010, 9, 11, 14, 30, 15)))
                .isEqualTo(at(2010, 9, 18, 14, 30, 0));
        // test_weekday_monthday: both day fields must match (Unix cron would OR them)
        assertThat(next(Crontab.of(30, 14, "mon", 18, null), at(2010, 1, 18, 14, 30, 15)))
                .isEqualTo(at(2010, 10, 18, 14, 30, 0));
        // test_monthday_not_exists
        assertThat(next(Crontab.of(30, 14, null, 31, null), at(2010, 9, 10, 14, 30, 15)))
                .isEqualTo(at(2010, 10, 31, 14, 30, 0));
        // test_weekday_monthday_not_exists
        assertThat(next(Crontab.of(30, 14, "fri", 31, null), at(2010, 9, 10, 14, 30, 15)))
                .isEqualTo(at(2010, 12, 31, 14, 30, 0));
        // test_leapday
        assertThat(next(Crontab.of(30, 14, null, 29, 2), at(2012, 2, 29, 14, 30, 15)))
                .isEqualTo(at(2016, 2, 29, 14, 30, 0));
        // every 15 minutes
        assertThat(next(Crontab.of("*/15", null, null, null, null), at(2010, 9, 11, 14, 30, 15)))
                .isEqualTo(at(2010, 9, 11, 14, 45, 0));
    }

    @Test
    void evaluatedInTheAppTimeZone() {
        Crontab c = Crontab.of(0, 9, null, null, null);
        ZoneId paris = ZoneId.of("Europe/Paris");
        assertThat(c.nextAfter(at(2026, 1, 10, 0, 0, 0), paris)).isEqualTo(at(2026, 1, 10, 8, 0, 0));
        assertThat(c.nextAfter(at(2026, 7, 10, 0, 0, 0), paris)).isEqualTo(at(2026, 7, 10, 7, 0, 0));
    }

    @Test
    void daylightSavingTransitionsNeitherRepeatNorLoop() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        Crontab everyMinute = Crontab.of(null, null, null, null, null);
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice (00:30Z and 01:30Z)
        assertThat(everyMinute.nextAfter(Instant.parse("2026-10-25T00:30:00Z"), paris))
                .isEqualTo(Instant.parse("2026-10-25T00:31:00Z"));
        assertThat(everyMinute.nextAfter(Instant.parse("2026-10-25T01:30:00Z"), paris))
                .isEqualTo(Instant.parse("2026-10-25T01:31:00Z"));
        // 2026-03-29: 02:00 CET springs forward to 03:00 CEST; a 02:30 run happens at 03:30 CEST (01:30Z)
        assertThat(Crontab.of(30, 2, null, null, null).nextAfter(Instant.parse("2026-03-29T00:00:00Z"), paris))
                .isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
    }

    @Test
    void neverMatchingSpecIsReported() {
        assertThatThrownBy(() -> next(Crontab.of(0, 0, null, 30, 2), at(2026, 1, 1, 0, 0, 0)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("never matches");
    }
}
