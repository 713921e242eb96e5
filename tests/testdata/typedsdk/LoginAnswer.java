import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.annotations.SerializedName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

// LoginAnswer reads gateway answers the way a typed LoginRadius client does:
// Gson into a class whose token fields are java.util.UUID, as LoginRadius's
// Java SDK declares them. For each file named on the command line it prints
// one line: "<file> ok <access_token> <refresh_token> <session_token>" (the
// tokens as Java writes the parsed UUIDs back, "null" when absent), or
// "<file> fail <exception class>" when the answer does not deserialize.
public class LoginAnswer {
    @SerializedName("access_token")
    UUID accessToken;

    @SerializedName("refresh_token")
    UUID refreshToken;

    @SerializedName("session_token")
    UUID sessionToken;

    @SerializedName("expires_in")
    String expiresIn;

    @SerializedName("session_expires_in")
    String sessionExpiresIn;

    @SerializedName("Profile")
    JsonObject profile;

    public static void main(String[] args) throws Exception {
        Gson gson = new Gson();
        for (String file : args) {
            String json = Files.readString(Path.of(file));
            try {
                LoginAnswer a = gson.fromJson(json, LoginAnswer.class);
                System.out.println(file + " ok " + a.accessToken + " " + a.refreshToken + " " + a.sessionToken);
            } catch (RuntimeException e) {
                System.out.println(file + " fail " + e.getClass().getName());
            }
        }
    }
}
