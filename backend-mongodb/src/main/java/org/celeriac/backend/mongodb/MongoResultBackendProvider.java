package org.celeriac.backend.mongodb;

import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;

/**
 * Provides {@link MongoResultBackend}s for {@code mongodb://[user:password@]host[:port][,host…]/[database][?options]}
 * and {@code mongodb+srv://}, configured as Celery's {@code MongoBackend} is: the database is the URL path (default
 * {@code celery}), and {@code mongodb_backend_settings} (Celery's old {@code CELERY_MONGODB_BACKEND_SETTINGS})
 * may set {@code host}, {@code port}, {@code mongo_host}, {@code user}, {@code password}, {@code database},
 * {@code taskmeta_collection}, {@code groupmeta_collection}, {@code options} and client options. A URL without
 * host ({@code mongodb://}) means {@code localhost:27017}. Celeriac's own settings:
 * {@code celeriac_mongodb_date_done} ({@code string}|{@code date}), {@code celeriac_mongodb_cleanup_interval}
 * (default 1 h; 0 disables), {@code celeriac_mongodb_change_streams} (default true),
 * {@code celeriac_mongodb_chord_collection}. Stateless and thread-safe.
 */
public final class MongoResultBackendProvider implements ResultBackendProvider {
    /** The Maven coordinates of this module. */
    public static final String ARTIFACT = "org.celeriac:celeriac-backend-mongodb";
    /** Set false to poll even where the server offers change streams. */
    static final String CHANGE_STREAMS_KEY = "celeriac_mongodb_change_streams";

    @Override
    public String name() {
        return "mongodb";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("mongodb", "mongodb+srv");
    }

    @Override
    public String artifact() {
        return ARTIFACT;
    }

    /**
     * @throws ProviderException when the URL or the settings are invalid
     */
    @Override
    public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
        MongoBackendConfig config = MongoBackendConfig.from(url, settings);
        boolean changeStreams;
        try {
            changeStreams = settings.bool(CHANGE_STREAMS_KEY, true);
        } catch (IllegalArgumentException e) {
            throw new ProviderException(e.getMessage(), e);
        }
        return new MongoResultBackend(config, context.resultSerializer(), changeStreams);
    }
}
