package org.celeriac.core.beat;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a {@code @Task} method periodic, like Celery's {@code @periodic_task(run_every=...)}: beat sends
 * it with no arguments. Set either {@link #runEvery()} or crontab fields (unset crontab fields are
 * {@code *}, as in Celery: {@code @PeriodicTask(hour = "0")} runs every minute of hour 0). An entry of
 * the same name in {@code beat_schedule} wins. Also allowed on a hand-written
 * {@link org.celeriac.api.TaskDefinition} class.
 *
 * <pre>{@code
 * @Task(name = "tasks.nightly")
 * @PeriodicTask(minute = "0", hour = "0")
 * public static void nightly() { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface PeriodicTask {
    /** An interval: seconds ({@code "30"}), with a unit ({@code "5m"}) or ISO-8601 ({@code "PT1H"}). */
    String runEvery() default "";

    /** Crontab minutes (0-59); empty means {@code *}. */
    String minute() default "";

    /** Crontab hours (0-23); empty means {@code *}. */
    String hour() default "";

    /** Crontab days of week (0 = Sunday, or names such as {@code mon-fri}); empty means {@code *}. */
    String dayOfWeek() default "";

    /** Crontab days of month (1-31); empty means {@code *}. */
    String dayOfMonth() default "";

    /** Crontab months (1-12); empty means {@code *}. */
    String monthOfYear() default "";

    /** The queue to send to; empty means normal routing. */
    String queue() default "";

    /** Seconds (or a duration) after sending when the message expires; empty means never. */
    String expires() default "";

    /** The beat entry name; empty means the task name. */
    String name() default "";
}
